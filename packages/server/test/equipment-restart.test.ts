// Instruments LabLink knows survive a restart: same ids, same nicknames, reconnected by themselves.

import { startSimulator } from '@lablink/instruments/sim';
import { describe, expect, it } from 'vitest';
import { http, startTestServer, tempDir } from './helpers.js';

describe('after a server restart', () => {
  it('keeps ids, nicknames and last settings, and reconnects the instruments it knew', async () => {
    const data = tempDir();
    const psu = await startSimulator('DP832');
    try {
      let server = await startTestServer({ LABLINK_SIM: 'on' }, data.dir);
      const simIds = (await http(`${server.url}/api/equipment/list`)).body
        .map((e: { id: string }) => e.id)
        .sort();
      const connected = await http(`${server.url}/api/equipment/connect`, {
        body: { resource_string: psu.resource },
      });
      expect(connected.status).toBe(200);
      const id = connected.body.equipment_id;
      await http(`${server.url}/api/equipment/${id}`, { method: 'PATCH', body: { nickname: 'Bench PSU' } });
      await http(`${server.url}/api/equipment/${id}/command`, {
        body: { action: 'set_voltage', parameters: { voltage: 4.2, channel: 2 } },
      });
      await server.stop();

      server = await startTestServer({ LABLINK_SIM: 'on' }, data.dir);
      try {
        const list = (await http(`${server.url}/api/equipment/list`)).body.map((e: { id: string }) => e.id);
        expect(list).toEqual(expect.arrayContaining([...simIds, id]));
        // The real (non-simulated) instrument reconnects in the background.
        let equipment = (await http(`${server.url}/api/equipment/${id}`)).body.equipment;
        for (let i = 0; i < 100 && equipment.state !== 'connected'; i++) {
          await new Promise((r) => setTimeout(r, 100));
          equipment = (await http(`${server.url}/api/equipment/${id}`)).body.equipment;
        }
        expect(equipment).toMatchObject({ state: 'connected', nickname: 'Bench PSU', model: 'DP832' });
        expect(equipment.last_settings['set_voltage@2'].params).toEqual({ voltage: 4.2, channel: 2 });

        // A disconnected instrument is not brought back at the next start.
        expect((await http(`${server.url}/api/equipment/disconnect/${id}`, { method: 'POST' })).status).toBe(
          200,
        );
      } finally {
        await server.stop();
      }
      server = await startTestServer({ LABLINK_SIM: 'off' }, data.dir);
      try {
        expect((await http(`${server.url}/api/equipment/list`)).body).toEqual([]);
      } finally {
        await server.stop();
      }
    } finally {
      await psu.stop();
      data.remove();
    }
  });
});

describe('an address that now leads to another instrument', () => {
  it('is not taken for the instrument known there, after a dropped link or a restart; its own is taken back by itself', async () => {
    const data = tempDir();
    let psu = await startSimulator('DP832');
    const port = psu.port;
    const equipmentOf = async (url: string, id: string) =>
      (await http(`${url}/api/equipment/${id}`)).body.equipment;
    const waitFor = async (
      url: string,
      id: string,
      ok: (e: { state: string; error: string | null }) => boolean,
    ) => {
      let equipment = await equipmentOf(url, id);
      for (let i = 0; i < 150 && !ok(equipment); i++) {
        await new Promise((r) => setTimeout(r, 100));
        equipment = await equipmentOf(url, id);
      }
      return equipment;
    };
    try {
      let server = await startTestServer({ LABLINK_SIM: 'off' }, data.dir);
      const connected = await http(`${server.url}/api/equipment/connect`, {
        body: { resource_string: psu.resource },
      });
      const id = connected.body.equipment_id;
      const knownSerial = (await equipmentOf(server.url, id)).serial_number;

      // The link drops and another DP832 (another serial) answers at the address: refused, never connected.
      await psu.stop();
      psu = await startSimulator('DP832', { port, serial: 'DP8C999999999' });
      let equipment = await waitFor(server.url, id, (e) => /now answers as/.test(e.error ?? ''));
      expect(equipment.state).not.toBe('connected');
      expect(equipment.error).toMatch(new RegExp(`DP832 DP8C999999999, not .*${knownSerial}`));
      const refused = await http(`${server.url}/api/equipment/${id}/command`, {
        body: { action: 'set_voltage', parameters: { voltage: 2, channel: 1 } },
      });
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(psu.instrument.channels[0]?.voltageSet).toBe(0);
      await server.stop();

      // Nor after a restart.
      server = await startTestServer({ LABLINK_SIM: 'off' }, data.dir);
      equipment = await waitFor(server.url, id, (e) => e.state === 'error');
      expect(equipment.error).toMatch(/now answers as DP832 DP8C999999999/);

      // Its own instrument comes back: connected by itself.
      await psu.stop();
      psu = await startSimulator('DP832', { port, serial: knownSerial });
      equipment = await waitFor(server.url, id, (e) => e.state === 'connected');
      expect(equipment).toMatchObject({ state: 'connected', serial_number: knownSerial });

      // A person takes the other unit over: disconnect the entry, connect the address again.
      await psu.stop();
      psu = await startSimulator('DP832', { port, serial: 'DP8C999999999' });
      await waitFor(server.url, id, (e) => /now answers as/.test(e.error ?? ''));
      expect((await http(`${server.url}/api/equipment/disconnect/${id}`, { method: 'POST' })).status).toBe(
        200,
      );
      const again = await http(`${server.url}/api/equipment/connect`, {
        body: { resource_string: psu.resource },
      });
      expect(again.status).toBe(200);
      expect(await equipmentOf(server.url, again.body.equipment_id)).toMatchObject({
        state: 'connected',
        serial_number: 'DP8C999999999',
      });
      await server.stop();
    } finally {
      await psu.stop();
      data.remove();
    }
  }, 60_000);
});
