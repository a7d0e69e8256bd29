/**
 * The secrets check after each soak run: the client secret and every access token the
 * simulator issued (it knows them all) are looked for in n8n's database, n8n's logs, every
 * execution output and every error. n8n stores the credential (the secret, the token it
 * fetched) encrypted, so none of them may appear in plain text anywhere; the figure is the
 * number of places each was found (0 to pass).
 *
 * Where it looks is chosen by the caller: files (the SQLite database with its journal files,
 * log files, binary data), and texts already in memory (a process's stdout/stderr, the run
 * data, a PostgreSQL dump). A needle is looked for as written and hex-encoded (how a dump
 * shows a bytea column).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Secret {
	/** What it is, for the report: "client secret", "access token #3". Never the value. */
	label: string;
	value: string;
}

export interface Haystack {
	/** Where the text came from: a file path, "n8n stdout", "run data". */
	where: string;
	text: string | Buffer;
}

export interface SecretFinding {
	secret: string;
	where: string;
}

export interface SecretsReport {
	secretsLookedFor: number;
	placesSearched: number;
	bytesSearched: number;
	found: SecretFinding[];
}

function encodings(value: string): Buffer[] {
	const raw = Buffer.from(value, 'utf8');
	return [raw, Buffer.from(raw.toString('hex'), 'utf8')];
}

/** Pure: every (secret, place) pair where the secret occurs. */
export function findSecrets(secrets: Secret[], haystacks: Haystack[]): SecretsReport {
	const needles = secrets
		.filter((secret) => secret.value.length >= 8)
		.map((secret) => ({ label: secret.label, forms: encodings(secret.value) }));
	const found: SecretFinding[] = [];
	let bytesSearched = 0;
	for (const haystack of haystacks) {
		const bytes = Buffer.isBuffer(haystack.text) ? haystack.text : Buffer.from(haystack.text);
		bytesSearched += bytes.length;
		for (const needle of needles) {
			if (needle.forms.some((form) => bytes.includes(form)))
				found.push({ secret: needle.label, where: haystack.where });
		}
	}
	return {
		secretsLookedFor: needles.length,
		placesSearched: haystacks.length,
		bytesSearched,
		found,
	};
}

/** Every regular file under `dir` (recursively) whose name passes `keep`. */
export function filesUnder(dir: string, keep: (name: string) => boolean = () => true): string[] {
	if (!fs.existsSync(dir)) return [];
	const files: string[] = [];
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) files.push(...filesUnder(full, keep));
		else if (entry.isFile() && keep(entry.name)) files.push(full);
	}
	return files;
}

/** Files as haystacks (read whole: the soak's databases and logs are a few MB). */
export function fileHaystacks(files: string[]): Haystack[] {
	return files
		.filter((file) => fs.existsSync(file))
		.map((file) => ({ where: file, text: fs.readFileSync(file) }));
}

/**
 * What n8n keeps in a single-process user folder: the SQLite database and its journal files,
 * log files, binary data. The harness's own files (the credential import file it writes in
 * clear, the workflow files) are n8n's input, not n8n's, and are left out.
 */
export function n8nUserFolderFiles(userFolder: string): string[] {
	const n8nDir = path.join(userFolder, '.n8n');
	return [
		...filesUnder(n8nDir, (name) => name.startsWith('database.sqlite') || name.endsWith('.log')),
		...filesUnder(path.join(n8nDir, 'binaryData')),
		...filesUnder(path.join(n8nDir, 'logs')),
	].filter((file, index, all) => all.indexOf(file) === index);
}

/** The simulator's secrets: the client secret and every access token it issued. */
export function simulatorSecrets(
	clientSecret: string,
	tokens: Array<{ accessToken: string }>,
): Secret[] {
	return [
		{ label: 'client secret', value: clientSecret },
		...tokens.map((token, index) => ({
			label: `access token #${index + 1}`,
			value: token.accessToken,
		})),
	];
}

/**
 * The check's control: the credential file the harness imports holds the client secret in
 * clear, so a search that does not find it there is broken (and its 0 would mean nothing).
 */
export function controlFound(secret: Secret, importFolder: string): boolean {
	const files = filesUnder(importFolder, (name) => /^credentials-\d+\.json$/.test(name)).filter(
		(file) => path.dirname(file) === importFolder,
	);
	return findSecrets([secret], fileHaystacks(files)).found.length > 0;
}
