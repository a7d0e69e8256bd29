/**
 * Pure: a Marketo numeric ID from what a user typed or an expression produced
 * ("1001", 1001, " 1001 "). Returns undefined for anything else so the caller
 * can name the parameter in its error.
 */
export function parseMarketoId(value: unknown): number | undefined {
	const text =
		typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
	if (!/^\d+$/.test(text)) return undefined;
	const id = Number(text);
	return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/** Pure: "" / null / undefined / whitespace mean "not set" for optional parameters. */
export function isBlank(value: unknown): boolean {
	return (
		value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
	);
}
