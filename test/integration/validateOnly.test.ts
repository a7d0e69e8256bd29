/**
 * Validate Only against the real thing: in one test, Validate Only predicts the failed and
 * warned rows of a file, then the same file is imported and Marketo Wait for Batch reports what
 * the simulator (which serves Marketo's documented row rules) actually failed and warned. The
 * two lists must be equal, row numbers and reasons, and the validation must upload nothing.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import type { CallRecord } from '../simulator';
import { fixture } from '../simulator/testkit';
import {
	bulkImportOutput,
	failureOf,
	fileItem,
	LANNISTER_CSV,
	marketoOf,
	PROGRAM_1001_ON_LIST,
	PROGRAM_1002_STATUS_FROM_COLUMN,
	runBulkImport,
	uploadCalls,
	useFakeClock,
	useSimulator,
	waitForBatches,
} from './support';

const clock = useFakeClock();
const sim = useSimulator({ rowsPerSecond: 1e6, clock });

type Verdict = [kind: string, rowNumber: number | null, reason: string];

function verdictsOf(rows: IDataObject[]): Verdict[] {
	return rows
		.map((row): Verdict => {
			const origin = marketoOf(row);
			return [origin.kind as string, origin.rowNumber as number | null, origin.reason as string];
		})
		.sort((a, b) => (a[1] ?? 0) - (b[1] ?? 0) || a[0].localeCompare(b[0]));
}

interface SideBySide {
	summary: IDataObject;
	predicted: Verdict[];
	actual: Verdict[];
	validationItems: INodeExecutionData[];
}

/** Validate Only, then the real import and Wait for Batch, on the same parameters and input. */
async function validateThenImport(
	parameters: INodeParameters,
	input: INodeExecutionData[],
): Promise<SideBySide> {
	const jobsBefore = sim().state.queue.length;
	const validation = await runBulkImport(
		sim(),
		{
			...parameters,
			options: { ...((parameters.options as IDataObject) ?? {}), validateOnly: true },
		},
		input,
	);
	// Nothing uploaded: no create-import call reached Marketo, and its queue holds no new job.
	expect(uploadCalls(sim())).toEqual([]);
	expect(sim().state.queue.length).toBe(jobsBefore);

	const [summaryItem, ...rowItems] = validation.outputs[0];
	const batches = await bulkImportOutput(sim(), parameters, input);
	const run = await waitForBatches(sim(), batches);
	return {
		summary: summaryItem.json,
		predicted: verdictsOf(rowItems.map((item) => item.json)),
		actual: verdictsOf([...run.failedRows, ...run.warningRows]),
		validationItems: validation.outputs[0],
	};
}

describe("Adobe's example files", () => {
	it('Lead-House-Lannister.csv as program members: nothing fails, nothing warns', async () => {
		const result = await validateThenImport(PROGRAM_1001_ON_LIST, [
			await fileItem(LANNISTER_CSV, 'Lead-House-Lannister.csv'),
		]);
		expect(result.predicted).toEqual(result.actual);
		expect(result.summary).toMatchObject({
			rowsChecked: 8,
			rowsWouldFail: 0,
			rowsWouldWarn: 0,
			wouldUpload: true,
		});
		// The summary keeps the input's file, so an If node can hand it on to the real import.
		expect(result.validationItems[0].binary?.data?.fileName).toBe('Lead-House-Lannister.csv');
	});

	// Adobe shows both on its program member page; the lead import gives the same reasons.
	const AS_MEMBERS_AND_LEADS: Array<[string, INodeParameters]> = [
		['program members', PROGRAM_1001_ON_LIST],
		['leads', { operation: 'importLeads' }],
	];

	it.each(AS_MEMBERS_AND_LEADS)(
		"Aerys-invalid-lead-score.csv as %s: the failure Adobe's page shows",
		async (_label, parameters) => {
			const result = await validateThenImport(parameters, [
				await fileItem(fixture('Aerys-invalid-lead-score.csv'), 'Aerys.csv'),
			]);
			expect(result.predicted).toEqual([['failed', 1, 'Invalid data type in field Lead Score']]);
			expect(result.predicted).toEqual(result.actual);
		},
	);

	it.each(AS_MEMBERS_AND_LEADS)(
		"Aerys-invalid-email.csv as %s: the warning Adobe's page shows",
		async (_label, parameters) => {
			const result = await validateThenImport(parameters, [
				await fileItem(fixture('Aerys-invalid-email.csv'), 'Aerys.csv'),
			]);
			expect(result.predicted).toEqual([['warning', 1, 'Invalid email address']]);
			expect(result.predicted).toEqual(result.actual);
			expect(result.summary).toMatchObject({ rowsWouldImport: 1, rowsWouldWarn: 1 });
		},
	);

	it("lead_data.csv (headers in Adobe's own case) with the Preflight Check off", async () => {
		const result = await validateThenImport(
			{ operation: 'importLeads', options: { preflightCheck: false } },
			[await fileItem(fixture('lead_data.csv'), 'lead_data.csv')],
		);
		expect(result.predicted).toEqual(result.actual);
		expect(result.summary.rowsChecked).toBe(3);
		expect(result.summary.notPredicted).toEqual([
			expect.stringContaining("'FirstName' for 'firstName'"),
		]);
	});
});

/** Every kind of bad value a lead file can hold, one per row, between good rows. */
const BAD_LEADS = [
	'email,firstName,customerTier,loyaltyPoints,discountRate,isPartner,renewalDate,lastWebinarAt,billingEmail,leadScore,id,createdAt',
	'good1@example.com,Ann,Gold,10,0.5,true,2024-02-29,2024-02-29T10:00:00Z,bill@example.com,1,,', // 1
	',NoEmail,,,,,,,,,,', // 2 lookup value missing
	'int@example.com,,,ten,,,,,,,,', // 3 integer
	'big@example.com,,,2147483648,,,,,,,,', // 4 integer out of range
	'float@example.com,,,,1.2.3,,,,,,,', // 5 float
	'bool@example.com,,,,,maybe,,,,,,', // 6 boolean
	'date@example.com,,,,,,2024-02-30,,,,,', // 7 date that does not exist
	'date2@example.com,,,,,,02/01/2024,,,,,', // 8 date in another format
	'dt@example.com,,,,,,,2024-02-01 10:00:00,,,,', // 9 datetime without T
	'long@example.com,,Platinum Plus Preferred,,,,,,,,,', // 10 string over 20 characters
	'not-an-email,Bad,,,,,,,,,,', // 11 invalid email: a warning
	'warn2@example.com,,,,,,,,billing at example,,,', // 12 invalid email in another email field: a warning
	'both-bad,,,,,,,,also bad,,,', // 13 two invalid emails: one warning reason
	'warnfail,,,x,,,,,,,,', // 14 a failure wins over a warning
	'extra@example.com,,,,,,,,,,,,surplus', // 15 more values than the header
	'readonly@example.com,,,,,,,,,,not-a-number,yesterday', // 16 read-only fields are ignored
	'', // an empty line: not a row
	'"quoted@example.com","Multi\nLine",,,,,,,,nope,,', // 17 quoted line break, bad lead score
	'short@example.com', // 18 fewer values: the rest are empty
	'good2@example.com,Zed,,,-3e2,no,,2024-03-01T09:30,,,,', // 19 good
	'',
].join('\n');

describe('a generated file with every kind of bad value', () => {
	it('leads: Validate Only predicts exactly what the import fails and warns', async () => {
		const result = await validateThenImport({ operation: 'importLeads' }, [
			await fileItem(BAD_LEADS, 'bad-leads.csv'),
		]);
		expect(result.predicted).toEqual(result.actual);
		expect(result.predicted).toEqual([
			['failed', 2, "Value for lookup field 'email' not found"],
			['failed', 3, 'Invalid data type in field Loyalty Points'],
			['failed', 4, 'Invalid data type in field Loyalty Points'],
			['failed', 5, 'Invalid data type in field Discount Rate'],
			['failed', 6, 'Invalid data type in field Is Partner'],
			['failed', 7, 'Invalid data type in field Renewal Date'],
			['failed', 8, 'Invalid data type in field Renewal Date'],
			['failed', 9, 'Invalid data type in field Last Webinar At'],
			['failed', 10, 'Value too long for field Customer Tier (max 20 characters)'],
			['warning', 11, 'Invalid email address'],
			['warning', 12, 'Invalid email address'],
			['warning', 13, 'Invalid email address'],
			['failed', 14, 'Invalid data type in field Loyalty Points'],
			['failed', 15, 'Row has 13 values but the header has 12 columns'],
			['failed', 17, 'Invalid data type in field Lead Score'],
		]);
		expect(result.summary).toMatchObject({
			validateOnly: true,
			uploaded: false,
			wouldUpload: true,
			refusals: [],
			rowsChecked: 19,
			rowsWouldFail: 12,
			rowsWouldImport: 7,
			rowsWouldWarn: 3,
		});
		expect(result.summary.reasons).toEqual(
			expect.arrayContaining([
				{ kind: 'failed', reason: 'Invalid data type in field Loyalty Points', rows: 3 },
				{ kind: 'warning', reason: 'Invalid email address', rows: 3 },
			]),
		);
	});

	it("a row item has Wait for Batch's shape: reason first, the row's columns, then _marketo", async () => {
		const result = await validateThenImport({ operation: 'importLeads' }, [
			await fileItem(BAD_LEADS, 'bad-leads.csv'),
		]);
		const row17 = result.validationItems.find(
			(item) => (item.json._marketo as IDataObject | undefined)?.rowNumber === 17,
		);
		expect(Object.keys(row17?.json ?? {})[0]).toBe('_marketoReason');
		expect(row17?.json).toMatchObject({
			_marketoReason: 'Invalid data type in field Lead Score',
			email: 'quoted@example.com',
			firstName: 'Multi\nLine',
			leadScore: 'nope',
			_marketo: {
				kind: 'failed',
				reason: 'Invalid data type in field Lead Score',
				batchId: null,
				importType: 'leads',
				rowNumber: 17,
				sourceItemIndex: null,
				tieBack: 'exact',
			},
		});
		expect(row17?.pairedItem).toEqual({ item: 0 });
	});

	it('program members with custom member fields', async () => {
		const csv = [
			'email,firstName,seatsReserved,registrationCode,webinarUrl,leadScore',
			'm1@example.com,Mia,2,ABC,https://example.com/w,5',
			',Nobody,1,,,', // lookup value missing
			'm3@example.com,,two,,,', // member field: integer
			'm4@example.com,,,THIS-CODE-IS-LONGER-THAN-THIRTY-CHARS,,', // member field: string length
			'not-an-email,,,,,', // warning
			'm6@example.com,,,,,high', // lead field
		].join('\n');
		const result = await validateThenImport(PROGRAM_1001_ON_LIST, [
			await fileItem(csv, 'members.csv'),
		]);
		expect(result.predicted).toEqual(result.actual);
		expect(result.predicted.map(([kind, row]) => [kind, row])).toEqual([
			['failed', 2],
			['failed', 3],
			['failed', 4],
			['warning', 5],
			['failed', 6],
		]);
	});

	it("custom objects: dedupe fields and the object's field types", async () => {
		const csv = [
			'accountNumber,plan,seats,active,renewsAt,contactEmail',
			'A-1,Pro,10,true,2025-01-01T00:00:00Z,ops@example.com',
			'A-2,,5,,,', // second dedupe field missing
			',Pro,5,,,', // first dedupe field missing
			'A-4,Pro,many,,,', // integer
			'A-5,Pro,,sometimes,,', // boolean
			'A-6,Pro,,,next week,', // datetime
			'A-7,Pro,,,,ops at example', // email: a warning
			'ACCOUNT-NUMBER-TOO-LONG-1,Pro,,,,', // string length
		].join('\n');
		const result = await validateThenImport(
			{ operation: 'importCustomObjects', customObject: 'subscription_c' },
			[await fileItem(csv, 'subscriptions.csv')],
		);
		expect(result.predicted).toEqual(result.actual);
		expect(result.predicted).toEqual([
			['failed', 2, "Value for dedupe field 'plan' not found"],
			['failed', 3, "Value for dedupe field 'accountNumber' not found"],
			['failed', 4, 'Invalid data type in field Seats'],
			['failed', 5, 'Invalid data type in field Active'],
			['failed', 6, 'Invalid data type in field Renews At'],
			['warning', 7, 'Invalid email address'],
			['failed', 8, 'Value too long for field Account Number (max 20 characters)'],
		]);
	});

	it('Items input: each predicted row names and is paired to the item it was written from', async () => {
		const input: INodeExecutionData[] = [
			{ json: { email: 'i1@example.com', leadScore: 1 } },
			{ json: { email: 'i2@example.com', leadScore: 'lots' } },
			{ json: { email: 'i3', leadScore: 3 } },
		];
		const result = await validateThenImport(
			{ operation: 'importLeads', inputSource: 'items' },
			input,
		);
		expect(result.predicted).toEqual(result.actual);
		const rows = result.validationItems.slice(1);
		expect(rows.map((item) => [marketoOf(item.json).sourceItemIndex, item.pairedItem])).toEqual([
			[1, { item: 1 }],
			[2, { item: 2 }],
		]);
		expect(result.validationItems[0].pairedItem).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});
});

describe('Items input with per-item settings', () => {
	it('validates each settings group as the import would file it: a summary per group, rows paired to their own items', async () => {
		const input: INodeExecutionData[] = [
			{ json: { email: 'g0@example.com', leadScore: 1, listId: 2003 } },
			{ json: { email: 'g1@example.com', leadScore: 2, listId: 2001 } },
			{ json: { email: 'g2', leadScore: 3, listId: 2003 } },
			{ json: { email: 'g3@example.com', leadScore: 'lots', listId: 2001 } },
		];
		const parameters: INodeParameters = {
			operation: 'importLeads',
			inputSource: 'items',
			list: { __rl: true, mode: 'id', value: '={{ $json.listId }}' },
			options: { validateOnly: true },
		};
		const validation = await runBulkImport(sim(), parameters, input);
		expect(uploadCalls(sim())).toEqual([]);
		const items = validation.outputs[0];
		const summaries = items.filter((item) => item.json.rowsChecked !== undefined);
		expect(summaries.map((item) => [item.json.rowsChecked, item.pairedItem])).toEqual([
			[2, [{ item: 0 }, { item: 2 }]],
			[2, [{ item: 1 }, { item: 3 }]],
		]);
		const rows = items.filter((item) => item.json.rowsChecked === undefined);
		expect(
			rows.map((item) => [
				marketoOf(item.json).kind,
				marketoOf(item.json).sourceItemIndex,
				item.pairedItem,
			]),
		).toEqual([
			['warning', 2, { item: 2 }],
			['failed', 3, { item: 3 }],
		]);
	});
});

describe('Member Status from a column', () => {
	// The unknown status is on the last row, so the fixed file (without it) keeps the other row numbers.
	const FIXED = [
		'email,firstName,status,attendedMinutes',
		'ann@example.com,Ann,Registered,',
		'bob@example.com,Bob,Attended,lots', // 2: text in a custom member field (integer)
		'not-an-email,Cat,No Show,', // 3: a warning
		'eve@example.com,Eve,Attended,45',
	];
	const BAD = [...FIXED, 'dan@example.com,Dan,Atended,30']; // 5: a status program 1002 does not have

	it('Binary File: the import refuses the row with an unknown status; Validate Only says so and predicts the rest as the import of the fixed file does', async () => {
		// The import of the bad file: refused, naming the row, nothing uploaded.
		const refused = await failureOf(
			runBulkImport(sim(), PROGRAM_1002_STATUS_FROM_COLUMN, [
				await fileItem(BAD.join('\n'), 'registrants.csv'),
			]),
		);
		expect(refused.message).toContain("'Atended' (row 5), did you mean 'Attended'?");
		expect(uploadCalls(sim())).toEqual([]);

		const validation = await runBulkImport(
			sim(),
			{ ...PROGRAM_1002_STATUS_FROM_COLUMN, options: { validateOnly: true } },
			[await fileItem(BAD.join('\n'), 'registrants.csv')],
		);
		expect(uploadCalls(sim())).toEqual([]);
		const [summary, ...rowItems] = validation.outputs[0];
		// The same refusal as the import's, reported instead of thrown.
		expect(summary.json).toMatchObject({
			wouldUpload: false,
			refusals: [{ message: refused.message, description: refused.description }],
			rowsChecked: 5,
			groupedBy: ['status'],
			groups: [
				{ values: ['Registered'], rows: 1, firstRows: [1] },
				{ values: ['Attended'], rows: 2, firstRows: [2, 4] },
				{ values: ['No Show'], rows: 1, firstRows: [3] },
				{ values: ['Atended'], rows: 1, firstRows: [5] },
			],
		});
		expect(summary.json).not.toHaveProperty('programMemberStatus');
		// The status column is a setting, not a field Marketo does not know.
		expect(summary.json.notPredicted).toEqual([]);
		const predicted = verdictsOf(rowItems.map((item) => item.json));
		expect(predicted).toEqual([
			['failed', 2, 'Invalid data type in field Attended Minutes'],
			['warning', 3, 'Invalid email address'],
		]);
		// The row item shows the row as the user wrote it, status included.
		expect(rowItems[0].json).toMatchObject({ status: 'Attended', attendedMinutes: 'lots' });

		const fixed = await validateThenImport(PROGRAM_1002_STATUS_FROM_COLUMN, [
			await fileItem(FIXED.join('\n'), 'registrants.csv'),
		]);
		expect(fixed.summary).toMatchObject({ wouldUpload: true, refusals: [], rowsChecked: 4 });
		expect(fixed.actual).toEqual(predicted);
		expect(fixed.predicted).toEqual(fixed.actual);
	});

	it('Program from a column with one Member Status: a program whose channel lacks it is refused, by the import and by Validate Only', async () => {
		const parameters: INodeParameters = {
			operation: 'importProgramMembers',
			programSource: 'column',
			programColumn: 'programId',
			programMemberStatus: 'Attended',
		};
		// Program 1001 is a List Import program: 'Attended' is no status of its channel.
		const csv = ['programId,email', '1002,p1@example.com', '1001,p2@example.com', ''].join('\n');
		const refused = await failureOf(
			runBulkImport(sim(), parameters, [await fileItem(csv, 'members.csv')]),
		);
		expect(refused.message).toContain(
			"a Member Status program 1001 does not have: 'Attended' (row 2)",
		);
		expect(refused.description).toContain(
			"Choose a Member Status every program in column 'programId' has",
		);
		expect(uploadCalls(sim())).toEqual([]);

		const validation = await runBulkImport(
			sim(),
			{ ...parameters, options: { validateOnly: true } },
			[await fileItem(csv, 'members.csv')],
		);
		expect(uploadCalls(sim())).toEqual([]);
		expect(validation.outputs[0][0].json).toMatchObject({
			wouldUpload: false,
			programMemberStatus: 'Attended',
			refusals: [{ message: refused.message, description: refused.description }],
			notPredicted: [],
		});
		expect(validation.outputs[0][0].json).not.toHaveProperty('programId');
	});

	it('Items input: a group with an unknown status is refused in its own summary, naming the items; the other rows are still predicted', async () => {
		const input: INodeExecutionData[] = FIXED.slice(1)
			.concat(BAD.slice(-1))
			.map((line) => {
				const [email, firstName, status, attendedMinutes] = line.split(',');
				return {
					json: { email, firstName, status, ...(attendedMinutes ? { attendedMinutes } : {}) },
				};
			});
		const validation = await runBulkImport(
			sim(),
			{ ...PROGRAM_1002_STATUS_FROM_COLUMN, inputSource: 'items', options: { validateOnly: true } },
			input,
		);
		expect(uploadCalls(sim())).toEqual([]);
		const summaries = validation.outputs[0].filter((item) => item.json.validateOnly === true);
		expect(
			summaries.map((item) => [
				item.json.programMemberStatus,
				item.json.wouldUpload,
				item.pairedItem,
			]),
		).toEqual([
			['Registered', true, [{ item: 0 }]],
			['Attended', true, [{ item: 1 }, { item: 3 }]],
			['No Show', true, [{ item: 2 }]],
			['Atended', false, [{ item: 4 }]],
		]);
		expect(summaries[3].json.refusals).toEqual([
			expect.objectContaining({
				message: expect.stringContaining("'Atended' (item 4), did you mean 'Attended'?"),
				description: expect.stringContaining("field 'status'"),
			}),
		]);
		for (const summary of summaries) expect(summary.json.notPredicted).toEqual([]);
		const rows = validation.outputs[0].filter((item) => item.json.validateOnly !== true);
		expect(
			rows.map((item) => [marketoOf(item.json).kind, marketoOf(item.json).reason, item.pairedItem]),
		).toEqual([
			['failed', 'Invalid data type in field Attended Minutes', { item: 1 }],
			['warning', 'Invalid email address', { item: 2 }],
		]);
	});
});

describe('what one execution asks Marketo', () => {
	/** Calls that read program 1002 and first pages of the channel list (a read of the list starts with one). */
	function programReads(calls: readonly CallRecord[]) {
		return {
			program: calls.filter((call) => call.path === '/rest/asset/v1/program/1002.json').length,
			channelLists: calls.filter(
				(call) => call.path === '/rest/asset/v1/channels.json' && !Number(call.query.offset ?? 0),
			).length,
		};
	}
	const input: INodeExecutionData[] = [
		'Registered',
		'Attended',
		'No Show',
		'Atended',
		'Attended',
	].map((status, n) => ({
		json: { email: `m${n}@example.com`, status },
	}));

	it('Items input, Validate Only: a program and the channel list are read once however many status groups there are', async () => {
		// Member Status from each item's field: every group's values go through the grouping's check.
		const fromField = await runBulkImport(
			sim(),
			{ ...PROGRAM_1002_STATUS_FROM_COLUMN, inputSource: 'items', options: { validateOnly: true } },
			input,
		);
		expect(fromField.outputs[0].filter((item) => item.json.validateOnly === true)).toHaveLength(4);
		expect(programReads(sim().state.calls)).toEqual({ program: 1, channelLists: 1 });

		// Member Status an expression: every group's one status is checked against the program's channel.
		// (A field not named like a Marketo field: Map Automatically leaves it out.)
		const before = sim().state.calls.length;
		const byExpression = await runBulkImport(
			sim(),
			{
				...PROGRAM_1001_ON_LIST,
				program: { __rl: true, mode: 'id', value: '1002' },
				programMemberStatus: '={{ $json.wantedStatus }}',
				inputSource: 'items',
				options: { validateOnly: true },
			},
			input.map(({ json: { email, status } }) => ({ json: { email, wantedStatus: status } })),
		);
		const summaries = byExpression.outputs[0].filter((item) => item.json.validateOnly === true);
		expect(summaries.map((item) => [item.json.programMemberStatus, item.json.wouldUpload])).toEqual(
			[
				['Registered', true],
				['Attended', true],
				['No Show', true],
				['Atended', false],
			],
		);
		expect(programReads(sim().state.calls.slice(before))).toEqual({ program: 1, channelLists: 1 });
		expect(uploadCalls(sim())).toEqual([]);
	});
});

describe('what Validate Only does not predict, and what stops an import before upload', () => {
	it('a lookup by id: says that a missing lead cannot be predicted (the import then fails it)', async () => {
		const csv = 'id,firstName\n999999,Ghost\nabc,Typo\n';
		const result = await validateThenImport({ operation: 'importLeads', lookupField: 'id' }, [
			await fileItem(csv, 'ids.csv'),
		]);
		expect(result.predicted).toEqual([['failed', 2, 'Invalid data type in field Id']]);
		// Marketo fails row 1 too, for a reason that depends on its data: the node said so instead of guessing.
		expect(result.actual).toEqual([['failed', 1, 'Lead not found'], ...result.predicted]);
		expect(result.summary.notPredicted).toEqual([expect.stringContaining("'Lead not found'")]);
	});

	it('a custom object link to a parent record: said, not predicted', async () => {
		const csv = [
			'vin,customerId,year,price,purchaseDate',
			'1HGCM82633A004352,42,2020,19999.99,2020-06-30',
			'1HGCM82633A004353,43,old,,', // integer
			'1HGCM82633A004354,44,,$5,', // currency
			'1HGCM82633A004355,45,,,2020/06/30', // date
			'1HGCM82633A0043560,46,,,', // string length (a VIN has 17 characters)
			',47,2020,,', // dedupe field missing
		].join('\n');
		const result = await validateThenImport(
			{ operation: 'importCustomObjects', customObject: 'car_c' },
			[await fileItem(csv, 'cars.csv')],
		);
		expect(result.predicted).toEqual(result.actual);
		expect(result.predicted).toEqual([
			['failed', 2, 'Invalid data type in field Year'],
			['failed', 3, 'Invalid data type in field Price'],
			['failed', 4, 'Invalid data type in field Purchase Date'],
			['failed', 5, 'Value too long for field VIN (max 17 characters)'],
			['failed', 6, "Value for dedupe field 'vin' not found"],
		]);
		expect(result.summary.notPredicted).toEqual([
			expect.stringContaining("'customerId' link each record to a parent"),
		]);
	});

	it('a member status the program does not have: refused, with the valid statuses, nothing uploaded', async () => {
		const validation = await runBulkImport(
			sim(),
			{ ...PROGRAM_1001_ON_LIST, programMemberStatus: 'Attended', options: { validateOnly: true } },
			[await fileItem(LANNISTER_CSV, 'Lead-House-Lannister.csv')],
		);
		expect(uploadCalls(sim())).toEqual([]);
		expect(validation.outputs[0][0].json).toMatchObject({
			wouldUpload: false,
			refusals: [
				{
					message: expect.stringContaining("'Attended' is not a member status of program 1001"),
					description: expect.stringContaining("'Not in Program', 'On List'"),
				},
			],
		});
	});

	it('a program that does not exist: refused with the fix, nothing uploaded', async () => {
		const validation = await runBulkImport(
			sim(),
			{
				...PROGRAM_1001_ON_LIST,
				program: { __rl: true, mode: 'id', value: '999999' },
				options: { validateOnly: true },
			},
			[await fileItem(LANNISTER_CSV, 'Lead-House-Lannister.csv')],
		);
		expect(uploadCalls(sim())).toEqual([]);
		expect(validation.outputs[0][0].json).toMatchObject({
			wouldUpload: false,
			refusals: [
				{
					message: 'Program 999999 was not found or has no channel',
					description: expect.stringContaining('Read-Only Assets'),
				},
			],
		});
	});

	it('a header the preflight refuses, and a file the look-before-upload pass refuses: reported, not thrown', async () => {
		const validation = await runBulkImport(
			sim(),
			{ operation: 'importLeads', options: { validateOnly: true } },
			[
				await fileItem('email,First Name\na@example.com,Ann\n', 'header.csv'),
				await fileItem('email,firstName\n"a@example.com,Ann\n', 'quote.csv'),
			],
		);
		expect(uploadCalls(sim())).toEqual([]);
		const summaries = validation.outputs[0].filter((item) => item.json.validateOnly === true);
		expect(
			summaries.map((item) => [item.json.fileName, item.json.wouldUpload, item.pairedItem]),
		).toEqual([
			['header.csv', false, { item: 0 }],
			['quote.csv', false, { item: 1 }],
		]);
		expect(summaries[0].json.refusals).toEqual([
			expect.objectContaining({
				description: expect.stringContaining("did you mean 'firstName'?"),
			}),
		]);
		expect(summaries[1].json.refusals).toEqual([
			expect.objectContaining({
				message: expect.stringContaining('quote'),
				description: expect.stringContaining('Nothing was uploaded'),
			}),
		]);
	});
});
