import { NodeApiError, NodeOperationError, type INode } from 'n8n-workflow';

/**
 * n8n shows a NodeApiError / NodeOperationError with its item and hint; the
 * transport and the input checks already throw those, so they pass through
 * unchanged. Anything else (a bug, an unexpected library error) is wrapped so
 * the user still sees which item failed.
 */
export function toNodeError(
	node: INode,
	error: unknown,
	itemIndex: number,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	// An import stopped after some parts (PartialImportError) is shown as the error it carries,
	// whose description names the batches already in Marketo.
	const carried = error instanceof Error && 'nodeError' in error ? error.nodeError : undefined;
	if (carried instanceof NodeApiError || carried instanceof NodeOperationError) return carried;
	return new NodeOperationError(node, error instanceof Error ? error : String(error), {
		itemIndex,
	});
}

/** The message of anything thrown, for an error item under Continue On Fail. */
export function errorMessageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
