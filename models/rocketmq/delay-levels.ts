/**
 * RocketMQ's scheduled-message levels: MessageStoreConfig.messageDelayLevel's default, as
 * ScheduleMessageService.parseDelayLevel reads it (space-separated, the last character a unit of
 * s, m, h or d). Message.setDelayTimeLevel(n) picks level n, counted from 1, so level 1 is
 * DEFAULT_DELAY_LEVELS[0]; the broker also uses these levels to space consumer retries.
 */
const MESSAGE_DELAY_LEVEL = '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h';

const UNIT_MILLIS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseDelayLevels(levels: string): number[] {
  return levels.split(' ').map((level) => {
    const unit = UNIT_MILLIS[level.slice(-1)];
    const count = Number(level.slice(0, -1));
    if (unit === undefined || !Number.isInteger(count)) throw new Error(`bad delay level: ${level}`);
    return count * unit;
  });
}

/** The 18 default delay levels in milliseconds, level 1 first: 1s, 5s, 10s, ... 1h, 2h. */
export const DEFAULT_DELAY_LEVELS: readonly number[] = Object.freeze(parseDelayLevels(MESSAGE_DELAY_LEVEL));
