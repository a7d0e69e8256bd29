import { InstanceDatabase } from '../../simulator/database';
import { SEED_LEAD_FIELDS } from '../../simulator/schema';
for (const n of [2000, 5000, 10000]) {
  const db = new InstanceDatabase(SEED_LEAD_FIELDS);
  const t = Date.now();
  for (let i = 0; i < n; i++) { const e = `lead${i}@example.com`; if (!db.findLead('email', e)) db.createLead({ email: e }, 1, 0); }
  console.log(n, Date.now() - t, 'ms');
}
