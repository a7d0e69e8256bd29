/**
 * Suggests the REST field name a user most likely meant when a column header
 * is not a field Marketo knows. Headers are compared exactly by Marketo, so
 * "FirstName", "First Name" or " firstName" all make every row fail; the
 * suggestion turns that silent failure into a one-line fix.
 */

export interface KnownField {
	/** REST API name, the only spelling Marketo accepts in a header */
	name: string;
	/** UI label, e.g. "First Name" - users often export files with these */
	displayName?: string;
}

/** Lower-case and drop spaces, underscores, hyphens and dots: "First Name" -> "firstname". */
export function normalizeFieldName(value: string): string {
	return value.toLowerCase().replace(/[\s_\-.]+/g, '');
}

export function editDistance(a: string, b: string): number {
	if (a === b) return 0;
	if (a.length === 0) return b.length;
	if (b.length === 0) return a.length;
	let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
	for (let i = 1; i <= a.length; i++) {
		const current = [i];
		for (let j = 1; j <= b.length; j++) {
			const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
			current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
		}
		previous = current;
	}
	return previous[b.length];
}

/**
 * The REST name closest to `header`, or undefined when nothing is close enough
 * to be a useful guess (a wrong suggestion is worse than none).
 */
export function closestFieldName(header: string, fields: KnownField[]): string | undefined {
	const wanted = normalizeFieldName(header);
	if (wanted === '') return undefined;

	// Same letters once case and separators are ignored: a case slip or a display name.
	for (const field of fields) {
		if (normalizeFieldName(field.name) === wanted) return field.name;
	}
	for (const field of fields) {
		if (field.displayName && normalizeFieldName(field.displayName) === wanted) return field.name;
	}

	// Otherwise a typo: the smallest edit distance, allowing about one slip per three letters.
	const allowed = Math.max(2, Math.floor(wanted.length / 3));
	let best: { name: string; distance: number } | undefined;
	for (const field of fields) {
		const spellings = [field.name, field.displayName].filter((s): s is string => !!s);
		for (const spelling of spellings) {
			const distance = editDistance(wanted, normalizeFieldName(spelling));
			if (distance <= allowed && (!best || distance < best.distance)) {
				best = { name: field.name, distance };
			}
		}
	}
	return best?.name;
}
