// The bench's instruments by id, for showing "Rigol DP832" rather than an id, and for the editor's list.

import type { EquipmentInfo } from '@lablink/client';
import { useCallback, useEffect, useState } from 'react';
import { useClient, useResync, useServerEvent } from '../../app/client';

export function instrumentName(e: Pick<EquipmentInfo, 'nickname' | 'manufacturer' | 'model'>): string {
  return e.nickname ? `${e.nickname} (${e.model})` : `${e.manufacturer} ${e.model}`;
}

export function useInstruments(): { list: EquipmentInfo[]; name(id: string | null): string } {
  const { rest } = useClient();
  const [list, setList] = useState<EquipmentInfo[]>([]);
  const refresh = useCallback(() => {
    rest
      .listEquipment()
      .then(setList)
      .catch(() => {
        // Ids are shown instead of names until the list loads.
      });
  }, [rest]);
  useEffect(refresh, [refresh]);
  useResync(refresh, 10_000);
  useServerEvent('equipment_connected', refresh);
  useServerEvent('equipment_disconnected', refresh);
  const name = (id: string | null) => {
    if (!id) return '—';
    const e = list.find((x) => x.id === id);
    return e ? instrumentName(e) : id;
  };
  return { list, name };
}
