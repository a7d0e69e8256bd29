import { readBinary } from '../harness';
import {
	descriptorsOf,
	drainQueue,
	failureOf,
	fileItem,
	LANNISTER_CSV,
	PROGRAM_1001_ON_LIST,
	runBulkImport,
	uploadCalls,
	useFakeClock,
	useSimulator,
} from './support';

// Marketo and the node's waits share one fake clock: the queue drains when the test moves it.
const clock = useFakeClock();
const sim = useSimulator({ rowsPerSecond: 1e6, clock });

const LEADS_CSV = [
	'email,firstName,lastName,company,leadScore',
	'ada@example.com,Ada,Lovelace,Analytical Engines,90',
	'grace@example.com,Grace,Hopper,"Navy, US",85',
	'alan@example.com,Alan,Turing,Bletchley Park,80',
	'',
].join('\n');

describe('Marketo Bulk Import: leads', () => {
	it('imports a file into a static list and a partition', async () => {
		const input = await fileItem(LEADS_CSV, 'leads.csv');
		const result = await runBulkImport(
			sim(),
			{
				operation: 'importLeads',
				lookupField: 'email',
				list: { __rl: true, mode: 'list', value: '2003' },
				partitionName: 'EMEA',
			},
			[input],
		);

		const [descriptor] = descriptorsOf(result);
		expect(result.outputs[0]).toHaveLength(1);
		expect(descriptor).toMatchObject({
			importType: 'leads',
			lookupField: 'email',
			listId: 2003,
			partitionName: 'EMEA',
			format: 'csv',
			fileName: 'leads.csv',
			part: 1,
			partCount: 1,
			rows: 3,
			bytes: Buffer.byteLength(LEADS_CSV),
			firstRowNumber: 1,
		});
		expect(typeof descriptor.batchId).toBe('number');
		expect(new Date(descriptor.submittedAt).toString()).not.toBe('Invalid Date');
		// The input binary travels on, untouched, with the byte range of the rows.
		expect(result.outputs[0][0].binary?.data).toBe(input.binary?.data);
		expect(result.outputs[0][0].pairedItem).toEqual({ item: 0 });
		const header = 'email,firstName,lastName,company,leadScore\n';
		expect(descriptor.submittedFile).toEqual({
			binaryProperty: 'data',
			dataStart: header.length,
			dataEnd: Buffer.byteLength(LEADS_CSV),
		});

		const [upload] = uploadCalls(sim());
		expect(upload).toMatchObject({
			path: '/bulk/v1/leads.json',
			query: { format: 'csv', lookupField: 'email', listId: '2003', partitionName: 'EMEA' },
			fileField: 'file',
			fileName: 'leads.csv',
			authStyle: 'bearer',
		});

		drainQueue(sim(), clock);
		const grace = sim().state.findLead('email', 'grace@example.com');
		expect(grace?.fields).toMatchObject({ firstName: 'Grace', company: 'Navy, US' });
		expect(grace?.partitionId).toBe(2);
		expect(
			sim()
				.state.listMembers(2003)
				.map((lead) => lead.fields.email)
				.sort(),
		).toEqual(['ada@example.com', 'alan@example.com', 'grace@example.com']);
	});

	it('detects a semicolon file saved as .csv and strips its BOM', async () => {
		const ssv = '\ufeffemail;firstName;lastName\nbom@example.com;Bo;Mark\n';
		const result = await runBulkImport(sim(), { operation: 'importLeads' }, [
			await fileItem(ssv, 'excel.csv'),
		]);

		const [descriptor] = descriptorsOf(result);
		expect(descriptor.format).toBe('ssv');
		// Offsets point into the original binary, BOM included.
		expect(descriptor.submittedFile).toEqual({
			binaryProperty: 'data',
			dataStart: Buffer.byteLength('\ufeffemail;firstName;lastName\n'),
			dataEnd: Buffer.byteLength(ssv),
		});
		expect(uploadCalls(sim())[0].query.format).toBe('ssv');
		expect(uploadCalls(sim())[0].fileBytes).toBe(Buffer.byteLength(ssv) - 3);
		drainQueue(sim(), clock);
		expect(sim().state.findLead('email', 'bom@example.com')?.fields.firstName).toBe('Bo');
	});

	it('imports one file per input item, each output paired to its item', async () => {
		const first = await fileItem('email,firstName\none@example.com,One\n', 'one.csv');
		const second = await fileItem('email,firstName\ntwo@example.com,Two\n', 'two.csv');
		const result = await runBulkImport(sim(), { operation: 'importLeads' }, [first, second]);

		expect(result.outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(descriptorsOf(result).map((d) => d.fileName)).toEqual(['one.csv', 'two.csv']);
		expect(uploadCalls(sim())).toHaveLength(2);
	});
});

describe('Marketo Bulk Import: program members and custom objects', () => {
	it('imports the Lannister file as program members with status On List', async () => {
		const result = await runBulkImport(sim(), PROGRAM_1001_ON_LIST, [
			await fileItem(LANNISTER_CSV, 'Lead-House-Lannister.csv'),
		]);

		const [descriptor] = descriptorsOf(result);
		expect(descriptor).toMatchObject({
			importType: 'programMembers',
			programId: 1001,
			programMemberStatus: 'On List',
			rows: 8,
			partCount: 1,
		});
		const [upload] = uploadCalls(sim());
		expect(upload.path).toBe('/bulk/v1/program/1001/members/import.json');
		expect(upload.query).toMatchObject({ programMemberStatus: 'On List' });
		expect(upload.query.format.toLowerCase()).toBe('csv');

		drainQueue(sim(), clock);
		const members = sim().state.programMembers(1001);
		expect(members).toHaveLength(8);
		expect(new Set(members.map((m) => m.status))).toEqual(new Set(['On List']));
		expect(members.map((m) => m.email.toLowerCase())).toContain('tyrion@lannister.com');
	});

	it('imports custom object records', async () => {
		const cars = [
			'vin,make,model,year',
			'1HGCM82633A004352,Honda,Accord,2003',
			'WVWZZZ1JZXW000001,VW,Golf,1999',
			'',
		].join('\n');
		const result = await runBulkImport(
			sim(),
			{ operation: 'importCustomObjects', customObject: 'car_c' },
			[await fileItem(cars, 'cars.csv')],
		);

		expect(descriptorsOf(result)[0]).toMatchObject({
			importType: 'customObjects',
			objectApiName: 'car_c',
			rows: 2,
		});
		expect(uploadCalls(sim())[0].path).toBe('/bulk/v1/customobjects/car_c/import.json');
		drainQueue(sim(), clock);
		const records = sim().state.customObjectRecords('car_c');
		expect(records.find((r) => r.fields.vin === 'WVWZZZ1JZXW000001')?.fields).toMatchObject({
			make: 'VW',
			model: 'Golf',
		});
	});

	it('stops a custom object file without its dedupe field before upload', async () => {
		const promise = runBulkImport(
			sim(),
			{ operation: 'importCustomObjects', customObject: 'car_c' },
			[await fileItem('make,model\nHonda,Accord\n', 'cars.csv')],
		);
		await expect(promise).rejects.toMatchObject({
			description: expect.stringContaining("Missing column 'vin'"),
		});
		expect(uploadCalls(sim())).toHaveLength(0);
	});
});

describe('Marketo Bulk Import: items input', () => {
	it('writes all items into one file and round-trips commas, quotes and newlines', async () => {
		const people = [
			{
				email: 'quote@example.com',
				firstName: 'Say "hi"',
				lastName: 'Comma, Jr.',
				title: 'Line one\nLine two',
			},
			{ email: 'plain@example.com', firstName: 'Plain', lastName: 'Person', title: '' },
			{
				email: 'semi@example.com',
				firstName: 'Semi;colon',
				lastName: ' spaced ',
				title: 'CR\r\nLF',
			},
		];
		const result = await runBulkImport(
			sim(),
			{
				operation: 'importLeads',
				inputSource: 'items',
				columns: 'email, firstName, lastName, title',
			},
			people.map((json) => ({ json: { ...json, ignored: 'not a column' } })),
			false,
			1, // the Columns list of node version 1
		);

		expect(result.outputs[0]).toHaveLength(1);
		const [output] = result.outputs[0];
		expect(output.pairedItem).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		const descriptor = descriptorsOf(result)[0];
		expect(descriptor).toMatchObject({
			rows: 3,
			firstRowNumber: 1,
			firstSourceItemIndex: 0,
			format: 'csv',
		});

		// The generated part file rides along, with the data row range inside it.
		const file = await readBinary(output.binary!.data);
		expect(file.toString('utf8').split('\n')[0]).toBe('email,firstName,lastName,title');
		expect(descriptor.submittedFile).toEqual({
			binaryProperty: 'data',
			dataStart: Buffer.byteLength('email,firstName,lastName,title\n'),
			dataEnd: file.length,
		});

		drainQueue(sim(), clock);
		for (const person of people) {
			const lead = sim().state.findLead('email', person.email);
			expect(lead?.fields).toMatchObject({
				firstName: person.firstName,
				lastName: person.lastName,
			});
			expect(lead?.fields.title ?? '').toBe(person.title);
		}
	});

	it('names the item and the field holding a nested value', async () => {
		const promise = runBulkImport(sim(), { operation: 'importLeads', inputSource: 'items' }, [
			{ json: { email: 'a@example.com' } },
			{ json: { email: 'b@example.com', address: { city: 'Paris' } } },
		]);
		await expect(promise).rejects.toMatchObject({
			message: expect.stringMatching(/Item 1, field "address"/),
			context: expect.objectContaining({ itemIndex: 1 }),
		});
		expect(uploadCalls(sim())).toHaveLength(0);
	});
});

describe('Marketo Bulk Import: checks before upload', () => {
	it('catches a misspelled header and uploads nothing', async () => {
		const promise = runBulkImport(sim(), { operation: 'importLeads' }, [
			await fileItem('email,First Name,lsatName\nx@example.com,X,Y\n', 'typo.csv'),
		]);
		const error = await failureOf(promise);
		expect(error.message).toContain("'First Name'");
		expect(error.message).toContain("'lsatName'");
		expect(error.description).toContain("did you mean 'firstName'?");
		expect(error.description).toContain("did you mean 'lastName'?");
		expect(uploadCalls(sim())).toHaveLength(0);
		expect(sim().state.calls.some((c) => c.path === '/rest/v1/leads/describe2.json')).toBe(true);
	});

	it('requires the chosen lookup column', async () => {
		const promise = runBulkImport(sim(), { operation: 'importLeads', lookupField: 'sfdcLeadId' }, [
			await fileItem('email,firstName\nx@example.com,X\n', 'leads.csv'),
		]);
		await expect(promise).rejects.toMatchObject({
			description: expect.stringContaining("Missing column 'sfdcLeadId'"),
		});
		expect(uploadCalls(sim())).toHaveLength(0);
	});

	it('uploads an unchecked header when Preflight Check is off', async () => {
		await runBulkImport(sim(), { operation: 'importLeads', options: { preflightCheck: false } }, [
			await fileItem('email,First Name\nnocheck@example.com,X\n', 'leads.csv'),
		]);
		expect(uploadCalls(sim())).toHaveLength(1);
		expect(sim().state.calls.some((c) => c.path.endsWith('describe2.json'))).toBe(false);
	});

	it.each([
		['an empty file', ''],
		['a header-only file', 'email,firstName\n'],
	])('rejects %s naming the item and the binary property', async (_label, content) => {
		const promise = runBulkImport(sim(), { operation: 'importLeads' }, [
			await fileItem(content, 'empty.csv'),
		]);
		const error = await failureOf(promise);
		expect(error.message).toMatch(/item 0, binary property 'data'/);
		expect(error.description).toContain('Nothing was uploaded');
		expect(uploadCalls(sim())).toHaveLength(0);
	});

	it('says which binary property is missing', async () => {
		const promise = runBulkImport(sim(), { operation: 'importLeads', binaryPropertyName: 'file' }, [
			await fileItem(LEADS_CSV),
		]);
		await expect(promise).rejects.toThrow("The item has no binary field 'file' [item 0]");
		expect(uploadCalls(sim())).toHaveLength(0);
	});

	it('with Continue On Fail, reports the bad item and imports the good one', async () => {
		const bad = await fileItem('email,firstName\n', 'bad.csv');
		const good = await fileItem('email,firstName\ngood@example.com,Good\n', 'good.csv');
		const result = await runBulkImport(sim(), { operation: 'importLeads' }, [bad, good], true);

		expect(result.outputs[0]).toHaveLength(2);
		expect(result.outputs[0][0]).toMatchObject({
			json: { error: expect.stringMatching(/no data rows/) },
			pairedItem: { item: 0 },
		});
		expect(result.outputs[0][1]).toMatchObject({
			json: { fileName: 'good.csv', rows: 1 },
			pairedItem: { item: 1 },
		});
		expect(uploadCalls(sim())).toHaveLength(1);
	});
});
