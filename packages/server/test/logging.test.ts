import { describe, expect, it } from 'vitest';
import { createLogger, formatLogLine } from '../src/logging.js';

function at(h: number, m: number, s: number): number {
  return new Date(2026, 0, 2, h, m, s).getTime();
}

describe('the readable log line', () => {
  it('shows time, level, component, message and the remaining fields as key=value', () => {
    const json = JSON.stringify({
      level: 30,
      time: at(9, 5, 7),
      pid: 1,
      hostname: 'h',
      service: 'lablink',
      component: 'equipment',
      msg: 'instrument connected',
      id: 'ps_1',
      model: 'DP832',
      channels: 3,
      note: 'two words',
    });
    expect(formatLogLine(json)).toBe(
      '09:05:07 info  equipment instrument connected id=ps_1 model=DP832 channels=3 note="two words"',
    );
  });

  it('names the level, leaves out a missing component and puts an error’s stack under the line', () => {
    const line = formatLogLine(
      JSON.stringify({
        level: 50,
        time: at(23, 59, 0),
        msg: 'error during shutdown',
        err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
      }),
    );
    expect(line.split('\n')[0]).toBe('23:59:00 error error during shutdown err="boom"');
    expect(line).toContain('\n    Error: boom');
    expect(formatLogLine(JSON.stringify({ level: 40, time: at(1, 2, 3), msg: 'w' }))).toBe(
      '01:02:03 warn  w',
    );
    expect(formatLogLine('not json\n')).toBe('not json');
  });

  it('is what the logger writes in the pretty format; JSON lines in the json format', () => {
    let pretty = '';
    createLogger({ logLevel: 'info', logFormat: 'pretty' }, { write: (t: string) => (pretty += t) })
      .child({ component: 'locks' })
      .info({ holder: 'ada' }, 'lock taken');
    expect(pretty).toMatch(/^\d\d:\d\d:\d\d info {2}locks lock taken holder=ada\n$/);

    let json = '';
    createLogger({ logLevel: 'info', logFormat: 'json' }, { write: (t: string) => (json += t) }).info(
      { holder: 'ada' },
      'lock taken',
    );
    expect(JSON.parse(json)).toMatchObject({
      level: 30,
      msg: 'lock taken',
      holder: 'ada',
      service: 'lablink',
    });
  });
});
