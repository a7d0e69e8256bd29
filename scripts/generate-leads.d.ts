/** Types for scripts/generate-leads.js. */
export interface LeadFileOptions {
	rows?: number;
	failEvery?: number;
	warnEvery?: number;
	/** > 0 adds an `address` column of this many characters. */
	addressLength?: number;
	/** Row n with n % repeatEmailEvery === 0 takes the email of row n - repeatEmailDistance. */
	repeatEmailEvery?: number;
	repeatEmailDistance?: number;
}
export const HEADER: string;
export function leadEmail(rowNumber: number): string;
export function leadRow(
	rowNumber: number,
	options: {
		failEvery: number;
		warnEvery: number;
		addressLength?: number;
		repeatEmailEvery?: number;
		repeatEmailDistance?: number;
	},
): string;
export function expectedOutcomes(
	rows: number,
	options?: LeadFileOptions,
): { failed: number[]; warned: number[] };
export function generateLeadsCsv(
	file: string,
	options?: LeadFileOptions,
): Promise<{ file: string; rows: number; bytes: number }>;
