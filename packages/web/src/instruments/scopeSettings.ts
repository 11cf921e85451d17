// What the oscilloscope is set to, read back from the instrument itself so the panel never shows a setting the
// scope did not take. The scope drivers have no query for their settings yet, so this asks the SCPI queries all
// supported Rigol families share (DS1000Z, MSO2000A, DS1000D: the MAIN timebase node is optional on all of them)
// through the raw-SCPI route, which allows queries on any instrument.

import type { LabLinkClient } from '@lablink/client';

export interface ScopeChannelSettings {
  channel: number;
  display: boolean;
  /** V/div. */
  scale: number;
  /** V. */
  offset: number;
  coupling: string;
}

export interface ScopeSettings {
  /** s/div and s (time at the screen centre). */
  timeScale: number;
  timeOffset: number;
  channels: ScopeChannelSettings[];
  trigger: { source: string; level: number; slope: string };
  /** TD (triggered), WAIT, RUN, AUTO or STOP. */
  status: string;
}

export async function readScopeSettings(
  rest: LabLinkClient['rest'],
  equipmentId: string,
  channelCount: number,
): Promise<ScopeSettings> {
  const ask = async (query: string) => {
    const reply = await rest.scpi(equipmentId, query);
    return (reply ?? '').trim();
  };
  const number = async (query: string) => {
    const reply = await ask(query);
    const value = Number(reply);
    if (!Number.isFinite(value)) throw new Error(`the scope answered ${JSON.stringify(reply)} to ${query}`);
    return value;
  };

  const channels: ScopeChannelSettings[] = [];
  for (let channel = 1; channel <= channelCount; channel++) {
    const display = await ask(`:CHAN${channel}:DISP?`);
    channels.push({
      channel,
      display: display === '1' || display.toUpperCase() === 'ON',
      scale: await number(`:CHAN${channel}:SCAL?`),
      offset: await number(`:CHAN${channel}:OFFS?`),
      coupling: (await ask(`:CHAN${channel}:COUP?`)).toUpperCase(),
    });
  }
  return {
    timeScale: await number(':TIM:SCAL?'),
    timeOffset: await number(':TIM:OFFS?'),
    channels,
    trigger: {
      source: (await ask(':TRIG:EDGE:SOUR?')).toUpperCase(),
      level: await number(':TRIG:EDGE:LEV?'),
      slope: (await ask(':TRIG:EDGE:SLOP?')).toUpperCase(),
    },
    status: String(await rest.command(equipmentId, 'get_trigger_status')),
  };
}
