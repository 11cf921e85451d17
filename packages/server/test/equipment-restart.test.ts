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
