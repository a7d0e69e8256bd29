import { startSimulator, type RunningSimulator, type SimulatorOptions } from './index';
import { apiGet, envelopeOf, errorCode, firstResult, fixture, getToken, upload } from './testkit';

/** Starts a fast simulator, runs one import and returns its final status + files. */
async function withSim(
	options: SimulatorOptions,
	body: (sim: RunningSimulator, token: string) => Promise<void>,
) {
	const sim = await startSimulator({ rowsPerSecond: 1e9, ...options });
	try {
		await body(sim, await getToken(sim));
	} finally {
		await sim.close();
	}
}

async function importLeads(
	sim: RunningSimulator,
	token: string,
	csv: string,
	query = 'format=csv',
) {
	const created = await upload(sim, `/bulk/v1/leads.json?${query}`, csv, token);
	const batchId = firstResult(created).batchId as number;
	const status = firstResult(await apiGet(sim, `/bulk/v1/leads/batch/${batchId}.json`, token));
	const failures = (await apiGet(sim, `/bulk/v1/leads/batch/${batchId}/failures.json`, token)).text;
	const warnings = (await apiGet(sim, `/bulk/v1/leads/batch/${batchId}/warnings.json`, token)).text;
	return { created, batchId, status, failures, warnings };
}

describe('bulk lead import: create call', () => {
	let sim: RunningSimulator;
	let token: string;
	beforeAll(async () => {
		sim = await startSimulator({ rowsPerSecond: 1e9 });
		token = await getToken(sim);
	});
	afterAll(async () => await sim.close());

	it('answers like the Adobe example: batchId, importId as string, Queued', async () => {
		const created = await upload(
			sim,
			'/bulk/v1/leads.json?format=csv',
			fixture('lead_data.csv'),
			token,
			{ fileName: 'leads.csv' },
		);
		const result = firstResult(created);
		expect(result).toEqual({
			batchId: expect.any(Number),
			importId: String(result.batchId),
			status: 'Queued',
		});
		expect(envelopeOf(created).requestId).toMatch(/^[0-9a-f]+#[0-9a-f]+$/);
		const call = sim.state.callsTo('importLeads').at(-1);
		expect(call).toMatchObject({
			fileField: 'file',
			fileName: 'leads.csv',
			query: { format: 'csv' },
			authStyle: 'bearer',
		});
	});

	it('accepts format as a multipart field and in upper case, any file name', async () => {
		const asField = await upload(sim, '/bulk/v1/leads.json', 'email\na@example.com\n', token, {
			fields: { format: 'csv' },
			fileName: 'whatever.txt',
		});
		expect(firstResult(asField).status).toBe('Queued');
		expect(sim.state.calls.at(-1)?.formFields).toEqual({ format: 'csv' });
		const upper = await upload(
			sim,
			'/bulk/v1/leads.json?format=TSV',
			'email\tfirstName\nb@example.com\tB\n',
			token,
		);
		expect(firstResult(upper).status).toBe('Queued');
	});

	it('refuses a missing or unknown format, a missing file part and an empty file with 1003', async () => {
		const noFormat = await upload(sim, '/bulk/v1/leads.json', 'email\na@example.com\n', token);
		expect(envelopeOf(noFormat).errors?.[0]).toMatchObject({
			code: '1003',
			message: expect.stringContaining('Format is required'),
		});
		const xls = await upload(
			sim,
			'/bulk/v1/leads.json?format=xls',
			'email\na@example.com\n',
			token,
		);
		expect(envelopeOf(xls).errors?.[0]).toEqual({
			code: '1003',
			message: "Invalid format 'xls', must be one of csv, tsv, ssv",
		});
		const noFile = await upload(sim, '/bulk/v1/leads.json?format=csv', '', token, {
			omitFile: true,
			fields: { other: 'x' },
		});
		expect(envelopeOf(noFile).errors?.[0]).toMatchObject({
			code: '1003',
			message: expect.stringContaining("part named 'file'"),
		});
		const wrongPart = await upload(
			sim,
			'/bulk/v1/leads.json?format=csv',
			'email\na@b.co\n',
			token,
			{ fileField: 'upload' },
		);
		expect(errorCode(wrongPart)).toBe('1003');
		for (const empty of ['', '  \r\n\t\n']) {
			const result = await upload(sim, '/bulk/v1/leads.json?format=csv', empty, token);
			expect(envelopeOf(result).errors?.[0]).toEqual({ code: '1003', message: 'Empty file' });
		}
	});

	it('refuses a body that is not multipart (612) and a broken multipart body (613)', async () => {
		const json = await fetch(`${sim.baseUrl}/bulk/v1/leads.json?format=csv`, {
			method: 'POST',
			headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' },
			body: 'email\na@b.co\n',
		});
		expect(((await json.json()) as { errors: Array<{ code: string }> }).errors[0].code).toBe('612');
		const broken = await fetch(`${sim.baseUrl}/bulk/v1/leads.json?format=csv`, {
			method: 'POST',
			headers: {
				Authorization: `Bearer ${token}`,
				'Content-Type': 'multipart/form-data; boundary=XYZ',
			},
			body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nemail\r\na@b.co',
		});
		expect(((await broken.json()) as { errors: Array<{ code: string }> }).errors[0].code).toBe(
			'613',
		);
	});

	it('checks lookupField, listId and partitionName at create', async () => {
		const csv = 'email\na@example.com\n';
		const badLookup = await upload(
			sim,
			'/bulk/v1/leads.json?format=csv&lookupField=firstName',
			csv,
			token,
		);
		expect(envelopeOf(badLookup).errors?.[0]).toEqual({
			code: '1006',
			message: "Lookup field 'firstName' not supported",
		});
		for (const lookup of [
			'id',
			'cookies',
			'twitterId',
			'sfdcLeadId',
			'customerTier',
			'billingEmail',
			'loyaltyPoints',
		]) {
			const r = await upload(
				sim,
				`/bulk/v1/leads.json?format=csv&lookupField=${lookup}`,
				csv,
				token,
			);
			expect(envelopeOf(r).success).toBe(true);
		}
		for (const notAllowed of ['discountRate', 'renewalDate', 'isPartner', 'company']) {
			expect(
				errorCode(
					await upload(sim, `/bulk/v1/leads.json?format=csv&lookupField=${notAllowed}`, csv, token),
				),
			).toBe('1006');
		}
		const badList = await upload(sim, '/bulk/v1/leads.json?format=csv&listId=999999', csv, token);
		expect(envelopeOf(badList).errors?.[0]).toEqual({
			code: '1013',
			message: 'Static list not found',
		});
		const badPartition = await upload(
			sim,
			'/bulk/v1/leads.json?format=csv&partitionName=Nowhere',
			csv,
			token,
		);
		expect(errorCode(badPartition)).toBe('1013');
	});
});

describe('bulk lead import: row semantics', () => {
	it('imports the Adobe example with display-case headers (case-insensitive matching)', async () => {
		await withSim({}, async (sim, token) => {
			const { status } = await importLeads(sim, token, fixture('lead_data.csv'));
			expect(status).toMatchObject({
				status: 'Complete',
				numOfLeadsProcessed: 3,
				numOfRowsFailed: 0,
				numOfRowsWithWarning: 0,
			});
			expect(status.message).toBe('Import succeeded, 3 records imported (3 members)');
			expect(sim.state.findLead('email', 'easyfox@marketo.com')?.fields).toMatchObject({
				firstName: 'Easy',
				company: 'Marketo',
			});
		});
	});

	it('with exact header matching the same file fails every row on the missing lookup value', async () => {
		await withSim({ headerMatching: 'exact' }, async (sim, token) => {
			const { status, failures } = await importLeads(sim, token, fixture('lead_data.csv'));
			expect(status).toMatchObject({ numOfLeadsProcessed: 0, numOfRowsFailed: 3 });
			expect(failures.split('\n')[1]).toBe(
				"Able,Baker,ablebaker@marketo.com,Marketo,Value for lookup field 'email' not found",
			);
		});
	});

	it('unknown columns are ignored by default and end the batch Failed with fail-batch', async () => {
		const csv = 'email,favouriteColour\na@example.com,blue\n';
		await withSim({}, async (sim, token) => {
			const { status } = await importLeads(sim, token, csv);
			expect(status).toMatchObject({ status: 'Complete', numOfLeadsProcessed: 1 });
			expect(sim.state.leads[0].fields.favouriteColour).toBeUndefined();
		});
		await withSim({ unknownColumns: 'fail-batch' }, async (sim, token) => {
			const { status } = await importLeads(sim, token, csv);
			expect(status.status).toBe('Failed');
			expect(status.message).toContain('favouriteColour');
			expect(sim.state.leads).toHaveLength(0);
		});
	});

	it('headers are not trimmed: " email" is an unknown column', async () => {
		await withSim({}, async (sim, token) => {
			const { status, failures } = await importLeads(
				sim,
				token,
				'firstName, email\nAnn,ann@example.com\n',
			);
			expect(status.numOfRowsFailed).toBe(1);
			expect(failures).toContain("Value for lookup field 'email' not found");
		});
	});

	it('validates typed fields with the display name in the reason', async () => {
		const rows = [
			['leadScore', 'abc', 'Invalid data type in field Lead Score'],
			['leadScore', '2147483648', 'Invalid data type in field Lead Score'],
			['annualRevenue', '12,5', 'Invalid data type in field Annual Revenue'],
			['discountRate', '1.2.3', 'Invalid data type in field Discount Rate'],
			['unsubscribed', 'maybe', 'Invalid data type in field Unsubscribed'],
			['dateOfBirth', '1990-02-30', 'Invalid data type in field Date of Birth'],
			['dateOfBirth', '02/01/1990', 'Invalid data type in field Date of Birth'],
			['lastWebinarAt', '2024-05-01 10:00', 'Invalid data type in field Last Webinar At'],
			[
				'customerTier',
				'x'.repeat(21),
				'Value too long for field Customer Tier (max 20 characters)',
			],
		];
		await withSim({}, async (sim, token) => {
			for (const [field, value, reason] of rows) {
				const { status, failures } = await importLeads(
					sim,
					token,
					`email,${field}\nrow@example.com,"${value}"\n`,
				);
				expect(status.numOfRowsFailed).toBe(1);
				expect(failures.trimEnd().split('\n')[1]).toMatch(
					new RegExp(`,${reason.replace(/[()]/g, '\\$&')}$`),
				);
			}
			const good =
				'email,leadScore,annualRevenue,discountRate,unsubscribed,dateOfBirth,lastWebinarAt,customerTier\n' +
				'ok@example.com,-12,1200.50,0.25,TRUE,1990-02-28,2024-05-01T10:00:00+02:00,Gold\n';
			const { status } = await importLeads(sim, token, good);
			expect(status).toMatchObject({ numOfLeadsProcessed: 1, numOfRowsFailed: 0 });
		});
	});

	it('an invalid email is a warning, the row is imported and still dedupes on it', async () => {
		await withSim({}, async (sim, token) => {
			const first = await importLeads(sim, token, 'email,firstName\nINVALID_EMAIL,One\n');
			expect(first.status).toMatchObject({ numOfLeadsProcessed: 1, numOfRowsWithWarning: 1 });
			expect(first.status.message).toBe(
				'Import succeeded, 1 records imported (1 members), 1 warning.',
			);
			expect(first.warnings).toBe(
				'email,firstName,Import Warning Reason\nINVALID_EMAIL,One,Invalid email address\n',
			);
			await importLeads(sim, token, 'email,firstName\ninvalid_email,Two\n');
			expect(sim.state.leads).toHaveLength(1);
			expect(sim.state.leads[0].fields.firstName).toBe('Two');
		});
	});

	it('upserts on the lookup field; empty cells do not overwrite; id is update-only', async () => {
		await withSim({}, async (sim, token) => {
			await importLeads(sim, token, 'email,firstName,company\nann@example.com,Ann,Acme\n');
			await importLeads(sim, token, 'email,firstName,company\nANN@example.com,,Globex\n');
			expect(sim.state.leads).toHaveLength(1);
			expect(sim.state.leads[0].fields).toMatchObject({ firstName: 'Ann', company: 'Globex' });
			const id = sim.state.leads[0].id;
			const byId = await importLeads(
				sim,
				token,
				`id,title\n${id},CEO\n999999,Nobody\n`,
				'format=csv&lookupField=id',
			);
			expect(byId.status).toMatchObject({ numOfLeadsProcessed: 1, numOfRowsFailed: 1 });
			expect(byId.failures).toBe('id,title,Import Failure Reason\n999999,Nobody,Lead not found\n');
			expect(sim.state.leads).toHaveLength(1);
			expect(sim.state.leads[0].fields.title).toBe('CEO');
			const custom = await importLeads(
				sim,
				token,
				'crmAccountNumber,firstName\nACC-1,Zed\nACC-1,Zed2\n,NoKey\n',
				'format=csv&lookupField=crmAccountNumber',
			);
			expect(custom.status).toMatchObject({ numOfLeadsProcessed: 2, numOfRowsFailed: 1 });
			expect(custom.failures).toContain("Value for lookup field 'crmAccountNumber' not found");
			expect(sim.state.findLead('crmAccountNumber', 'ACC-1')?.fields.firstName).toBe('Zed2');
		});
	});

	it('adds imported leads to the static list and puts new leads in the named partition', async () => {
		await withSim({}, async (sim, token) => {
			const { status } = await importLeads(
				sim,
				token,
				'email\nl1@example.com\nl2@example.com\nbad-row-no-email\n',
				'format=csv&listId=2003&partitionName=EMEA',
			);
			expect(status.numOfLeadsProcessed).toBe(3);
			expect(
				sim.state
					.listMembers(2003)
					.map((l) => l.fields.email)
					.sort(),
			).toEqual(['bad-row-no-email', 'l1@example.com', 'l2@example.com']);
			expect(sim.state.leads.every((l) => l.partitionId === 2)).toBe(true);
			expect(sim.state.listMembers(2001)).toEqual([]);
		});
	});

	it('a row with more values than the header fails; missing trailing values count as empty', async () => {
		await withSim({}, async (sim, token) => {
			const { status, failures } = await importLeads(
				sim,
				token,
				'email,firstName\na@example.com,A,extra\nb@example.com\n',
			);
			expect(status).toMatchObject({ numOfLeadsProcessed: 1, numOfRowsFailed: 1 });
			expect(failures).toContain('Row has 3 values but the header has 2 columns');
		});
	});

	it('skips only empty lines: a line of spaces or "" is a row', async () => {
		await withSim({}, async (sim, token) => {
			const csv = 'email,firstName\r\n\r\na@example.com,A\n\n   \n""\r\rb@example.com,B\r\n\r\n';
			const { status, failures, warnings } = await importLeads(sim, token, csv);
			// "   " is an (invalid) email: a warning; "" is no email: a failure.
			expect(status).toMatchObject({
				numOfLeadsProcessed: 3,
				numOfRowsFailed: 1,
				numOfRowsWithWarning: 1,
			});
			expect(failures.trimEnd().split('\n')).toHaveLength(2);
			expect(failures.trimEnd().split('\n')[1]).toMatch(
				/Value for lookup field 'email' not found$/,
			);
			expect(warnings.trimEnd().split('\n')).toHaveLength(2);
			expect(warnings.trimEnd().split('\n')[1]).toMatch(/^ {3},.*Invalid email address$/);
		});
	});
});
