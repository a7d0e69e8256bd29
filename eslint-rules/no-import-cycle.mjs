/**
 * `layout/no-import-cycle`: reports an import that closes a circle of imports among the
 * project's own files, with the whole circle in the message.
 *
 * Why not `import-x/no-cycle`: that rule always skips type-only imports (`import type`,
 * `import { type X }`, `export type ... from`), with no option to count them, so a circle that
 * runs through a type import is never reported. Here every import counts: static, type-only,
 * `export ... from`, `import x = require()`, `import()` (also in a type position) and `require()`.
 * There is no depth limit.
 *
 * Imports are listed with TypeScript's own pre-processor (`ts.preProcessFile`) and resolved with
 * `ts.resolveModuleName` and the compiler options of the nearest tsconfig.json, so a path alias
 * added there later is followed too. Packages (anything resolved from node_modules) are left out:
 * they cannot import the project's files back. The linted file's imports come from the text
 * being linted; every other file's come from disk, cached until its size or mtime changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Files whose imports are read; anything else (JSON, say) imports nothing. */
const SCRIPT = /\.(?:[cm]?ts|tsx|[cm]?js|jsx)$/;

/** Compiler options per tsconfig.json (key '' = no tsconfig found). */
const optionsByConfig = new Map();

function compilerOptionsFor(file) {
	const configFile = ts.findConfigFile(path.dirname(file), ts.sys.fileExists) ?? '';
	let options = optionsByConfig.get(configFile);
	if (options === undefined) {
		options = {};
		if (configFile) {
			const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
			const parsed = ts.parseJsonConfigFileContent(config ?? {}, ts.sys, path.dirname(configFile));
			options = parsed.options;
		}
		optionsByConfig.set(configFile, options);
	}
	return options;
}

/** The project file a specifier names, or undefined for a package or what does not resolve. */
function resolveLocal(specifier, fromFile) {
	const { resolvedModule } = ts.resolveModuleName(
		specifier,
		fromFile,
		compilerOptionsFor(fromFile),
		ts.sys,
	);
	if (!resolvedModule || resolvedModule.isExternalLibraryImport) return undefined;
	return path.resolve(resolvedModule.resolvedFileName);
}

/** The specifiers a text imports, each with where it stands in the text. */
function importsIn(text) {
	return ts.preProcessFile(text, true, true).importedFiles;
}

/** file -> { stamp, targets }: the project files a file on disk imports. */
const importsCache = new Map();

function importsOnDisk(file) {
	let stat;
	try {
		stat = fs.statSync(file);
	} catch {
		return [];
	}
	const stamp = `${stat.size}:${stat.mtimeMs}`;
	const cached = importsCache.get(file);
	if (cached?.stamp === stamp) return cached.targets;
	const targets = new Set();
	if (SCRIPT.test(file)) {
		for (const { fileName } of importsIn(fs.readFileSync(file, 'utf8'))) {
			const target = resolveLocal(fileName, file);
			if (target) targets.add(target);
		}
	}
	importsCache.set(file, { stamp, targets: [...targets] });
	return [...targets];
}

/** A shortest chain of imports from `start` to `goal` (both included), or undefined. */
function chainBack(start, goal) {
	const previous = new Map([[start, undefined]]);
	const queue = [start];
	while (queue.length > 0) {
		const file = queue.shift();
		for (const next of importsOnDisk(file)) {
			if (next === goal) {
				const chain = [goal];
				for (let at = file; at !== undefined; at = previous.get(at)) chain.unshift(at);
				return chain;
			}
			if (!previous.has(next)) {
				previous.set(next, file);
				queue.push(next);
			}
		}
	}
	return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
export default {
	meta: {
		type: 'problem',
		docs: {
			description:
				'Forbid an import that closes a circle of imports; type-only imports count, any depth.',
		},
		schema: [],
		messages: {
			cycle:
				'Import cycle (type-only imports count): {{cycle}}. Break it: move what the files ' +
				'share into a module that imports none of them.',
		},
	},
	create(context) {
		const filename = path.resolve(context.physicalFilename);
		if (!SCRIPT.test(filename) || !fs.existsSync(filename)) return {};
		const { sourceCode } = context;
		const shown = (file) => path.relative(context.cwd, file).split(path.sep).join('/');
		return {
			Program() {
				for (const { fileName, pos, end } of importsIn(sourceCode.text)) {
					const target = resolveLocal(fileName, filename);
					if (!target || target === filename) continue;
					const chain = chainBack(target, filename);
					if (!chain) continue;
					context.report({
						loc: { start: sourceCode.getLocFromIndex(pos), end: sourceCode.getLocFromIndex(end) },
						messageId: 'cycle',
						data: { cycle: [filename, ...chain].map(shown).join(' -> ') },
					});
				}
			},
		};
	},
};
