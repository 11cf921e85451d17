// The hub's view of the lab, as REST reads kept current by the hub's WebSocket events: the bench list refreshes on
// status and instrument changes, a bench's alarms and jobs on its alarm and job events, and readings arrive live.

import { LabLinkError } from '@lablink/client';
import type {
  BenchAlarms,
  BenchEquipmentList,
  BenchJobs,
  BenchList,
  BenchReading,
  BenchSummary,
} from '@lablink/protocol/rest';
import { useCallback, useEffect, useState } from 'react';
import { useClient, useResync, useServerEvent } from '../../app/client';
import { describeError } from '../../lib/errors';

const enc = encodeURIComponent;

export interface BenchesState {
  benches: BenchSummary[];
  loaded: boolean;
  error: string | null;
}

/**
 * Whether this server is a hub (the navigation shows Benches on a hub only): a server that is not answers /api/hub
 * with 404. Asked when the connection is (again) live, not on every bench event; an unreachable server changes
 * nothing.
 */
export function useIsHub(): boolean {
  const { rest } = useClient();
  const [isHub, setIsHub] = useState(false);
  const check = useCallback(() => {
    rest.request<BenchList>('GET', '/api/hub/benches').then(
      () => setIsHub(true),
      (err: unknown) => {
        if (err instanceof LabLinkError && err.status === 404) setIsHub(false);
      },
    );
  }, [rest]);
  useResync(check, 5000);
  return isHub;
}

/** The hub's benches, kept current by its bench events. */
export function useBenchList(): BenchesState {
  const { rest } = useClient();
  const [state, setState] = useState<BenchesState>({ benches: [], loaded: false, error: null });
  const refresh = useCallback(() => {
    rest
      .request<BenchList>('GET', '/api/hub/benches')
      .then((list) => setState({ benches: list.benches, loaded: true, error: null }))
      .catch((err: unknown) => setState((s) => ({ ...s, loaded: true, error: describeError(err) })));
  }, [rest]);
  useEffect(refresh, [refresh]);
  useResync(refresh, 5000);
  useServerEvent('bench_status', refresh);
  useServerEvent('bench_equipment', refresh);
  useServerEvent('bench_alarm', refresh);
  return state;
}

export interface BenchDetail {
  equipment: BenchEquipmentList['equipment'];
  alarms: BenchAlarms['events'];
  jobs: BenchJobs['jobs'];
  error: string | null;
}

/** One bench: instruments (readings live by `equipment_id:channel`), open alarms, jobs. */
export function useBench(bench: string) {
  const { rest } = useClient();
  const [detail, setDetail] = useState<BenchDetail>({ equipment: [], alarms: [], jobs: [], error: null });
  const [readings, setReadings] = useState<Record<string, BenchReading['data']>>({});
  const base = `/api/hub/benches/${enc(bench)}`;

  const refresh = useCallback(() => {
    Promise.all([
      rest.request<BenchEquipmentList>('GET', `${base}/equipment`),
      rest.request<BenchAlarms>('GET', `${base}/alarms`),
      rest.request<BenchJobs>('GET', `${base}/jobs`),
    ])
      .then(([equipment, alarms, jobs]) => {
        setDetail({ equipment: equipment.equipment, alarms: alarms.events, jobs: jobs.jobs, error: null });
        const latest: Record<string, BenchReading['data']> = {};
        for (const item of equipment.equipment) {
          for (const [channel, reading] of Object.entries(item.readings)) {
            latest[`${item.info.id}:${channel}`] = reading.data;
          }
        }
        setReadings(latest);
      })
      .catch((err: unknown) => setDetail((d) => ({ ...d, error: describeError(err) })));
  }, [rest, base]);
  useEffect(refresh, [refresh]);
  useResync(refresh, 5000);

  const mine = (handler: () => void) => (data: Record<string, unknown>) => {
    if (data.bench === bench) handler();
  };
  useServerEvent('bench_equipment', mine(refresh));
  useServerEvent('bench_status', mine(refresh));
  useServerEvent('bench_alarm', mine(refresh));
  // A run's progress changes no list; its start, end and the job's edits do.
  useServerEvent('bench_job', (data) => {
    if (data.bench === bench && data.type !== 'job_progress') refresh();
  });
  useServerEvent('bench_reading', (data) => {
    if (data.bench !== bench) return;
    const key = `${data.equipment_id as string}:${data.channel as number}`;
    setReadings((all) => ({ ...all, [key]: data.data as BenchReading['data'] }));
  });

  const acknowledge = (eventId: string) =>
    rest.request('POST', `${base}/alarms/acknowledge`, { body: { event_id: eventId } }).then(refresh);
  const setVoltage = (equipmentId: string, channel: number, voltage: number) =>
    rest.request('POST', `${base}/equipment/${enc(equipmentId)}/command`, {
      body: { action: 'set_voltage', parameters: { voltage, channel } },
    });
  return { detail, readings, acknowledge, setVoltage };
}
