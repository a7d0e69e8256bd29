import { startSimulator } from '../../simulator';
import { descriptorsOf, fileItem, runBulkImport } from '../../integration/bulkImportHelpers';
jest.setTimeout(900_000);
it('profiles', async () => {
	const sim = await startSimulator({ rowsPerSecond: 1e7 });
	const lines = ['email,firstName,lastName,company,leadScore'];
	for (let i = 0; i < 80_000; i++) lines.push(`lead${i}@bulk.example.com,First${i},"Last, ${i}",Company ${i % 997} with a longer name,${i % 100}`);
	const content = Buffer.from(lines.join('\n') + '\n');
	let t = Date.now();
	const input = await fileItem(content, 'big.csv');
	console.log('createBinary', Date.now() - t, content.length); t = Date.now();
	const result = await runBulkImport(sim, { operation: 'importLeads', options: { partSizeMb: 3 } }, [input]);
	console.log('run', Date.now() - t, descriptorsOf(result).length); t = Date.now();
	const q = sim.state.queue; console.log('queue', Date.now() - t, q.map(j => j.status)); t = Date.now();
	const q2 = sim.state.queue; console.log('queue2', Date.now() - t, q2.map(j => j.status)); t = Date.now();
	const leads = sim.state.leads; console.log('leads', Date.now() - t, leads.length);
	await sim.close();
});
