import { startSimulator, type RunningSimulator } from './index';
import { apiGet, errorCode, firstResult, getToken, upload } from './testkit';

describe('bulk custom object import', () => {
	let sim: RunningSimulator;
	let token: string;
	beforeEach(async () => {
		sim = await startSimulator({ rowsPerSecond: 1e9 });
		token = await getToken(sim);
	});
	afterEach(async () => await sim.close());

	const importObjects = async (apiName: string, csv: string) => {
		const created = firstResult(
			await upload(sim, `/bulk/v1/customobjects/${apiName}/import.json?format=csv`, csv, token),
		);
		const base = `/bulk/v1/customobjects/${apiName}/import/${created.batchId}`;
		return {
			created,
			status: firstResult(await apiGet(sim, `${base}/status.json`, token)),
			failures: await apiGet(sim, `${base}/failures.json`, token),
			warnings: await apiGet(sim, `${base}/warnings.json`, token),
		};
	};

	it('upserts by the dedupe field and answers the custom object shapes', async () => {
		const { created, status, failures, warnings } = await importObjects(
			'car_c',
			'vin,make,model,year\n1HGCM82633A004352,Honda,Accord,2003\n1HGCM82633A004352,Honda,Accord LX,2004\nWVWZZZ1JZXW000001,VW,Golf,1999\n',
		);
		expect(created).toEqual({
			batchId: expect.any(Number),
			importId: String(created.batchId),
			status: 'Queued',
			operation: 'upsert',
			objectApiName: 'car_c',
		});
		expect(status).toMatchObject({
			batchId: created.batchId,
			operation: 'upsert',
			objectApiName: 'car_c',
			status: 'Complete',
			numOfObjectsProcessed: 3,
			numOfRowsFailed: 0,
			numOfRowsWithWarning: 0,
			importTime: expect.any(String),
		});
		// Zero failures or warnings: custom objects answer 404 (configurable).
		expect(failures.status).toBe(404);
		expect(warnings.status).toBe(404);
		const records = sim.state.customObjectRecords('car_c');
		expect(records).toHaveLength(2);
		expect(records.find((r) => r.fields.vin === '1HGCM82633A004352')?.fields).toMatchObject({
			model: 'Accord LX',
			year: '2004',
		});
	});

	it('fails rows missing a compound dedupe value, naming the field; types are checked', async () => {
		const { status, failures } = await importObjects(
			'subscription_c',
			'accountNumber,plan,seats,contactEmail\nA-1,gold,10,ok@example.com\nA-1,,5,x@example.com\nA-2,silver,many,y@example.com\nA-3,bronze,1,not-an-email\n',
		);
		expect(status).toMatchObject({
			numOfObjectsProcessed: 2,
			numOfRowsFailed: 2,
			numOfRowsWithWarning: 1,
		});
		expect(failures.text).toBe(
			'accountNumber,plan,seats,contactEmail,Import Failure Reason\n' +
				"A-1,,5,x@example.com,Value for dedupe field 'plan' not found\n" +
				'A-2,silver,many,y@example.com,Invalid data type in field Seats\n',
		);
		expect(sim.state.customObjectRecords('subscription_c')).toHaveLength(2);
	});

	it('an empty file answers 200 with an empty body when configured', async () => {
		await sim.close();
		sim = await startSimulator({ rowsPerSecond: 1e9, customObjectEmptyFileStatus: 200 });
		token = await getToken(sim);
		const { failures } = await importObjects('car_c', 'vin\nABC\n');
		expect(failures.status).toBe(200);
		expect(failures.text).toBe('');
	});

	it('refuses an unknown object and a status call under another object name', async () => {
		expect(
			errorCode(
				await upload(sim, '/bulk/v1/customobjects/boat_c/import.json?format=csv', 'x\n1\n', token),
			),
		).toBe('1013');
		const { created } = await importObjects('car_c', 'vin\nABC\n');
		expect(
			errorCode(
				await apiGet(
					sim,
					`/bulk/v1/customobjects/subscription_c/import/${created.batchId}/status.json`,
					token,
				),
			),
		).toBe('1003');
	});
});
