import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { findSecrets, n8nUserFolderFiles, simulatorSecrets } from '../../../scripts/soak/secrets';

const SECRET = 'sim-client-secret-0123';
const TOKEN = '0a1b2c3d-0000-4abc-a123-0123456789ab:sj';

describe('soak secrets check', () => {
	const secrets = simulatorSecrets(SECRET, [{ accessToken: TOKEN }]);

	it('finds a secret as written and hex-encoded (a bytea column in a dump), and names only its label', () => {
		const report = findSecrets(secrets, [
			{ where: 'log', text: `request failed: Bearer ${TOKEN}` },
			{ where: 'dump', text: `\\x${Buffer.from(`{"clientSecret":"${SECRET}"}`).toString('hex')}` },
			{ where: 'clean', text: Buffer.from('nothing here') },
		]);
		expect(report.found).toEqual([
			{ secret: 'access token #1', where: 'log' },
			{ secret: 'client secret', where: 'dump' },
		]);
		expect(report.placesSearched).toBe(3);
		expect(JSON.stringify(report)).not.toContain(SECRET);
		expect(JSON.stringify(report)).not.toContain(TOKEN);
	});

	it("looks in n8n's SQLite files, log files and binary data, not the harness's import files", () => {
		const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'soak-secrets-'));
		try {
			const n8nDir = path.join(folder, '.n8n');
			fs.mkdirSync(path.join(n8nDir, 'binaryData', 'workflows'), { recursive: true });
			for (const name of ['database.sqlite', 'database.sqlite-wal', 'n8n.log'])
				fs.writeFileSync(path.join(n8nDir, name), '');
			fs.writeFileSync(path.join(n8nDir, 'binaryData', 'workflows', 'file'), '');
			fs.writeFileSync(path.join(folder, 'credentials-1.json'), SECRET);
			const files = n8nUserFolderFiles(folder).map((file) => path.relative(folder, file));
			expect(files.sort()).toEqual([
				'.n8n/binaryData/workflows/file',
				'.n8n/database.sqlite',
				'.n8n/database.sqlite-wal',
				'.n8n/n8n.log',
			]);
		} finally {
			fs.rmSync(folder, { recursive: true, force: true });
		}
	});
});
