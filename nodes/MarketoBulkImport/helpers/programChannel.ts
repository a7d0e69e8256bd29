import { NodeOperationError, type IDataObject } from 'n8n-workflow';

import { marketoApiRequest, marketoApiRequestAllItems, type MarketoContext } from '../../shared/transport';

export interface ChannelRecord extends IDataObject {
	name?: string;
	progressionStatuses?: Array<{ name?: string; step?: number; success?: boolean; description?: string }>;
}

/**
 * The channel of a program, whose progression statuses are the member statuses Marketo accepts
 * for it: program -> its channel (by name) -> the channel. Channels are read from the paged
 * channels list and matched by name, which avoids the case ambiguity of the `name` parameter of
 * channel/byName. Used by the Member Status dropdown and by Validate Only.
 */
export async function fetchProgramChannel(
	context: MarketoContext,
	programId: number,
	itemIndex?: number,
): Promise<ChannelRecord> {
	const programs = (await marketoApiRequest.call(context, {
		method: 'GET',
		path: `/rest/asset/v1/program/${programId}.json`,
		idempotent: true,
		itemIndex,
	})) as Array<{ channel?: string }>;
	const channelName = programs[0]?.channel;
	if (!channelName) {
		throw new NodeOperationError(context.getNode(), `Program ${programId} was not found or has no channel`, {
			itemIndex,
			description: 'Check the program ID and that the API user has the Read-Only Assets permission.',
		});
	}
	const channels = (await marketoApiRequestAllItems.call(context, {
		method: 'GET',
		path: '/rest/asset/v1/channels.json',
		qs: { maxReturn: 200 },
		idempotent: true,
		itemIndex,
	})) as ChannelRecord[];
	const channel = channels.find((c) => c.name === channelName);
	if (!channel) {
		throw new NodeOperationError(context.getNode(), `Channel '${channelName}' of program ${programId} was not found`, {
			itemIndex,
			description: 'The program channel is not in the channel list; type the status name as an expression instead.',
		});
	}
	return channel;
}

/** Pure: a channel's status names, in step order. */
export function statusNamesOf(channel: ChannelRecord): string[] {
	return [...(channel.progressionStatuses ?? [])]
		.filter((s) => typeof s.name === 'string' && s.name !== '')
		.sort((a, b) => (a.step ?? 0) - (b.step ?? 0))
		.map((s) => s.name as string);
}
