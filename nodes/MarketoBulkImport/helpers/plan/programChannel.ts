import { NodeOperationError, type IDataObject } from 'n8n-workflow';

import {
	marketoApiRequest,
	marketoApiRequestAllItems,
	type MarketoContext,
} from '../../../shared/transport';

/**
 * A program's member statuses are the progression statuses of its channel: program -> its
 * channel (by name) -> the channel. Channels are read from the paged channels list and matched
 * by name, which avoids the case ambiguity of the `name` parameter of channel/byName. The one
 * definition used by the Member Status dropdown, Validate Only and the check of statuses and
 * programs read from a column (memberGroups.ts).
 */

export interface ProgressionStatus {
	name?: string;
	step?: number;
	success?: boolean;
	description?: string;
}

export interface ChannelRecord extends IDataObject {
	name?: string;
	progressionStatuses?: ProgressionStatus[];
}

export interface ChannelStatuses {
	channel: string;
	/** the channel's progression statuses, in step order */
	statuses: string[];
}

/** Pure: a channel's named progression statuses, in step order. */
export function progressionStatusesOf(
	channel: ChannelRecord,
): Array<ProgressionStatus & { name: string }> {
	return [...(channel.progressionStatuses ?? [])]
		.filter(
			(status): status is ProgressionStatus & { name: string } =>
				typeof status.name === 'string' && status.name !== '',
		)
		.sort((a, b) => (a.step ?? 0) - (b.step ?? 0));
}

/** Pure: a channel's status names, in step order. */
export function statusNamesOf(channel: ChannelRecord): string[] {
	return progressionStatusesOf(channel).map((status) => status.name);
}

/** The instance's channels (all pages). */
export async function fetchChannels(
	context: MarketoContext,
	itemIndex?: number,
): Promise<ChannelRecord[]> {
	return (await marketoApiRequestAllItems.call(context, {
		method: 'GET',
		path: '/rest/asset/v1/channels.json',
		qs: { maxReturn: 200 },
		idempotent: true,
		itemIndex,
	})) as ChannelRecord[];
}

/** The name of a program's channel; undefined when the program does not exist (or has no channel). */
async function channelNameOf(
	context: MarketoContext,
	programId: number,
	itemIndex?: number,
): Promise<string | undefined> {
	const programs = (await marketoApiRequest.call(context, {
		method: 'GET',
		path: `/rest/asset/v1/program/${programId}.json`,
		idempotent: true,
		itemIndex,
	})) as Array<{ channel?: string }>;
	return programs[0]?.channel || undefined;
}

/**
 * The statuses of a program's channel; undefined when the program does not exist. `channels`
 * lets a caller that asks about many programs read the channel list once.
 */
export async function fetchProgramStatuses(
	context: MarketoContext,
	programId: number,
	itemIndex: number | undefined,
	channels: () => Promise<ChannelRecord[]> = async () => await fetchChannels(context, itemIndex),
): Promise<ChannelStatuses | undefined> {
	const channelName = await channelNameOf(context, programId, itemIndex);
	if (channelName === undefined) return undefined;
	const channel = (await channels()).find((candidate) => candidate.name === channelName);
	return { channel: channelName, statuses: channel ? statusNamesOf(channel) : [] };
}

/**
 * The statuses of programs, read once per execution (kept on the ImportSession): the channel
 * list once and each program once, however many items, files or groups ask. A failed read is
 * not kept, so a later ask tries again.
 */
export class ProgramStatusCache {
	private channelList: Promise<ChannelRecord[]> | undefined;
	private readonly programs = new Map<number, Promise<ChannelStatuses | undefined>>();

	statusesOf(
		context: MarketoContext,
		programId: number,
		itemIndex?: number,
	): Promise<ChannelStatuses | undefined> {
		const cached = this.programs.get(programId);
		if (cached) return cached;
		const answer = fetchProgramStatuses(
			context,
			programId,
			itemIndex,
			async () => await this.channels(context, itemIndex),
		);
		answer.catch(() => this.programs.delete(programId));
		this.programs.set(programId, answer);
		return answer;
	}

	private async channels(context: MarketoContext, itemIndex?: number): Promise<ChannelRecord[]> {
		if (this.channelList === undefined) {
			const list = fetchChannels(context, itemIndex);
			list.catch(() => {
				if (this.channelList === list) this.channelList = undefined;
			});
			this.channelList = list;
		}
		return await this.channelList;
	}
}

/** The channel of a program; stops with an actionable error when the program or its channel is not found. */
export async function fetchProgramChannel(
	context: MarketoContext,
	programId: number,
	itemIndex?: number,
): Promise<ChannelRecord> {
	const channelName = await channelNameOf(context, programId, itemIndex);
	if (channelName === undefined) {
		throw new NodeOperationError(
			context.getNode(),
			`Program ${programId} was not found or has no channel`,
			{
				itemIndex,
				description:
					'Check the program ID and that the API user has the Read-Only Assets permission.',
			},
		);
	}
	const channel = (await fetchChannels(context, itemIndex)).find(
		(candidate) => candidate.name === channelName,
	);
	if (!channel) {
		throw new NodeOperationError(
			context.getNode(),
			`Channel '${channelName}' of program ${programId} was not found`,
			{
				itemIndex,
				description:
					'The program channel is not in the channel list; type the status name as an expression instead.',
			},
		);
	}
	return channel;
}
