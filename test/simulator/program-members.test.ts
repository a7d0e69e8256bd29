import { startSimulator, type RunningSimulator } from './index';
import { MAX_CUSTOM_PROGRAM_MEMBER_FIELDS, SEED_PROGRAM_MEMBER_FIELDS } from './schema';
import type { FieldDefinition } from './types';
import { apiGet, envelopeOf, errorCode, firstResult, fixture, getToken, upload } from './testkit';

describe('bulk program member import', () => {
	let sim: RunningSimulator;
	let token: string;
	beforeEach(async () => {
		sim = await startSimulator({ rowsPerSecond: 1e9 });
		token = await getToken(sim);
	});
	afterEach(async () => await sim.close());

	const importMembers = async (csv: string, programId = 1001, status = 'On List') => {
		const created = await upload(
			sim,
			`/bulk/v1/program/${programId}/members/import.json?format=csv&programMemberStatus=${encodeURIComponent(status)}`,
			csv,
			token,
			{ fileName: 'Lead-House-Lannister.csv' },
		);
		const batchId = firstResult(created).batchId as number;
		const base = `/bulk/v1/program/members/import/${batchId}`;
		return {
			created: firstResult(created),
			status: firstResult(await apiGet(sim, `${base}/status.json`, token)),
			failures: await apiGet(sim, `${base}/failures.json`, token),
			warnings: await apiGet(sim, `${base}/warnings.json`, token),
		};
	};

	it('imports the Lannister file: 8 members with status On List', async () => {
		const { created, status, failures } = await importMembers(fixture('Lead-House-Lannister.csv'));
		expect(created).toEqual({
			batchId: expect.any(Number),
			importId: String(created.batchId),
			status: 'Queued',
		});
		expect(status).toEqual({
			batchId: created.batchId,
			importId: String(created.batchId),
			status: 'Complete',
			numOfLeadsProcessed: 8,
			numOfRowsFailed: 0,
			numOfRowsWithWarning: 0,
			message: 'Import succeeded, 8 records imported (8 members)',
		});
		expect(failures.status).toBe(200);
		expect(failures.text).toBe('');
		const members = sim.state.programMembers(1001);
		expect(members).toHaveLength(8);
		expect(members.every((m) => m.status === 'On List')).toBe(true);
		expect(sim.state.findLead('email', 'tyrion@lannister.com')?.fields).toMatchObject({
			firstName: 'Tyrion',
			leadScore: '0',
		});
	});

	it('reproduces the Aerys failure file exactly', async () => {
		const { status, failures } = await importMembers(fixture('Aerys-invalid-lead-score.csv'));
		expect(status).toMatchObject({
			numOfLeadsProcessed: 0,
			numOfRowsFailed: 1,
			message: 'Import completed with errors, 0 records imported (0 members), 1 failed',
		});
		expect(failures.contentType).toMatch(/^text\/plain/);
		expect(failures.text).toBe(
			'firstName,lastName,email,title,company,leadScore,Import Failure Reason\n' +
				'Aerys,Targaryen,Aerys@Targaryen.com,Targaryen,House Targaryen,TEXT_VALUE_IN_INTEGER_FIELD,Invalid data type in field Lead Score\n',
		);
		expect(sim.state.programMembers(1001)).toHaveLength(0);
	});

	it('reproduces the Aerys warning: invalid email imported with a warning', async () => {
		const { status, warnings } = await importMembers(fixture('Aerys-invalid-email.csv'));
		expect(status).toMatchObject({
			numOfLeadsProcessed: 1,
			numOfRowsWithWarning: 1,
			message: 'Import succeeded, 1 records imported (1 members), 1 warning.',
		});
		expect(warnings.text).toBe(
			'firstName,lastName,email,title,company,leadScore,Import Warning Reason\n' +
				'Aerys,Targaryen,INVALID_EMAIL,Targaryen,House Targaryen,0,Invalid email address\n',
		);
		expect(sim.state.programMembers(1001).map((m) => m.email)).toEqual(['INVALID_EMAIL']);
	});

	it('needs email on every row, accepts program member custom fields and updates membership', async () => {
		const csv =
			'email,firstName,registrationCode,seatsReserved\nsansa@stark.com,Sansa,R-1,2\n,NoEmail,R-2,1\n';
		const { status, failures } = await importMembers(csv, 1002, 'Registered');
		expect(status).toMatchObject({ numOfLeadsProcessed: 1, numOfRowsFailed: 1 });
		expect(failures.text).toContain("Value for lookup field 'email' not found");
		expect(sim.state.programMembers(1002)).toEqual([
			{
				programId: 1002,
				leadId: expect.any(Number),
				email: 'sansa@stark.com',
				status: 'Registered',
				fields: { registrationCode: 'R-1', seatsReserved: '2' },
			},
		]);
		await importMembers('email\nSANSA@stark.com\n', 1002, 'Attended');
		expect(sim.state.programMembers(1002).map((m) => m.status)).toEqual(['Attended']);
		expect(sim.state.leads).toHaveLength(1);
	});

	it('checks the program (1013), the status against the channel (1025), format in any case', async () => {
		const csv = 'email\na@example.com\n';
		const unknownProgram = await upload(
			sim,
			'/bulk/v1/program/999/members/import.json?format=csv&programMemberStatus=On%20List',
			csv,
			token,
		);
		expect(errorCode(unknownProgram)).toBe('1013');
		const wrongStatus = await upload(
			sim,
			'/bulk/v1/program/1001/members/import.json?format=csv&programMemberStatus=Attended',
			csv,
			token,
		);
		expect(envelopeOf(wrongStatus).errors?.[0]).toEqual({
			code: '1025',
			message: 'Program status not found',
		});
		const noStatus = await upload(
			sim,
			'/bulk/v1/program/1001/members/import.json?format=csv',
			csv,
			token,
		);
		expect(errorCode(noStatus)).toBe('1003');
		const asFields = await upload(sim, '/bulk/v1/program/1001/members/import.json', csv, token, {
			fields: { format: 'CSV', programMemberStatus: 'On List' },
		});
		expect(firstResult(asFields).status).toBe('Queued');
	});

	it('never moves a member back to a status of a lower step, but still updates its fields', async () => {
		await importMembers(
			'email,webinarQuestion,attendedMinutes\narya@stark.com,Q1,\n',
			1002,
			'Attended',
		);
		const back = await importMembers(
			'email,webinarQuestion\narya@stark.com,Q2\n',
			1002,
			'Registered',
		);
		// The row is imported (not failed): Marketo keeps the higher status and takes the fields.
		expect(back.status).toMatchObject({ numOfLeadsProcessed: 1, numOfRowsFailed: 0 });
		expect(sim.state.programMembers(1002)).toEqual([
			expect.objectContaining({ status: 'Attended', fields: { webinarQuestion: 'Q2' } }),
		]);
		await importMembers('email\narya@stark.com\n', 1002, 'Attended On-demand');
		expect(sim.state.programMembers(1002).map((m) => m.status)).toEqual(['Attended On-demand']);
	});

	it('describes custom program member fields (webinarQuestion, attendedMinutes)', async () => {
		const described = firstResult(
			await apiGet(sim, '/rest/v1/programs/members/describe.json', token),
		);
		const fields = described.fields as Array<{
			name: string;
			dataType: string;
			updateable: boolean;
		}>;
		expect(fields.find((f) => f.name === 'webinarQuestion')).toMatchObject({
			dataType: 'string',
			updateable: true,
		});
		expect(fields.find((f) => f.name === 'attendedMinutes')).toMatchObject({
			dataType: 'integer',
			updateable: true,
		});
	});
});

describe('custom program member fields: at most MAX_CUSTOM_PROGRAM_MEMBER_FIELDS (20) per instance', () => {
	const withCustomFields = (count: number): FieldDefinition[] => [
		...SEED_PROGRAM_MEMBER_FIELDS.filter((f) => !f.updateable),
		...Array.from(
			{ length: count },
			(_, i): FieldDefinition => ({
				name: `custom${i + 1}`,
				displayName: `Custom ${i + 1}`,
				dataType: 'string',
				length: 255,
				updateable: true,
			}),
		),
	];

	it('serves an instance with as many custom fields as Marketo allows', async () => {
		const sim = await startSimulator({
			schema: { programMemberFields: withCustomFields(MAX_CUSTOM_PROGRAM_MEMBER_FIELDS) },
		});
		try {
			const described = firstResult(
				await apiGet(sim, '/rest/v1/programs/members/describe.json', await getToken(sim)),
			);
			const names = (described.fields as Array<{ name: string }>).map((f) => f.name);
			expect(names.filter((name) => name.startsWith('custom'))).toHaveLength(
				MAX_CUSTOM_PROGRAM_MEMBER_FIELDS,
			);
		} finally {
			await sim.close();
		}
	});

	it('refuses an instance with one custom field more, as no Marketo instance can have it', async () => {
		const tooMany = withCustomFields(MAX_CUSTOM_PROGRAM_MEMBER_FIELDS + 1);
		await expect(startSimulator({ schema: { programMemberFields: tooMany } })).rejects.toThrow(
			'schema.programMemberFields has 21 custom fields; Marketo allows at most 20 per instance',
		);
	});
});
