/**
 * Must be imported before n8n-core is first used: n8n-core reads these when its singletons
 * (InstanceSettings, BinaryDataConfig) are built, and they would otherwise write into ~/.n8n.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const harnessUserFolder = mkdtempSync(join(tmpdir(), 'marketo-harness-'));

process.env.N8N_USER_FOLDER = harnessUserFolder;
process.env.N8N_ENCRYPTION_KEY ??= 'marketo-bulk-harness-key';
process.env.N8N_DEFAULT_BINARY_DATA_MODE = 'filesystem';
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';

process.once('exit', () => {
	rmSync(harnessUserFolder, { recursive: true, force: true });
});
