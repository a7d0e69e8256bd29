import * as fs from 'node:fs';
import { startSimulator } from '../../simulator';
import { N8nInstance, exampleWorkflow, simulatorCredential } from '../support';
(async () => {
  const sim = await startSimulator({ rowsPerSecond: 200000 });
  const n8n = N8nInstance.create();
  console.log(n8n.userFolder);
  const cred = simulatorCredential(sim, 'e2eExamplesCred1');
  await n8n.importCredentials([cred]);
  const wf = exampleWorkflow(process.argv[2] ?? '01-csv-file-to-leads.json', { id: 'e2eExample01Runs', credential: cred, filePath: '/work/main/examples/data/leads.csv' });
  await n8n.importWorkflow(wf);
  const res = await n8n.execute(wf.id);
  fs.writeFileSync('/tmp/h6play/dbg-out.txt', res.stdout + '\n---ERR---\n' + res.stderr);
  console.log(res.code, !!res.run);
  await sim.close();
})();
