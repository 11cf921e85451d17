// The instruments LabLink manages, with their live state. Loaded over REST, then kept current by the equipment
// events (connected, disconnected, state changes with their reason); re-read whenever events may have been
// missed (see useResync).

import { useCallback, useEffect, useState } from 'react';
import { useClient, useResync, useServerEvent } from '../../app/client';
import type { Equipment } from '../../instruments/types';
import { describeError } from '../../lib/errors';

export interface EquipmentList {
  items: Equipment[];
  /** Why the list could not be loaded; null when it could. */
  error: string | null;
  loaded: boolean;
  refresh(): void;
  /** Puts a fresh copy of one instrument (after connect, rename) in the list. */
  upsert(equipment: Equipment): void;
}

export function useEquipment(): EquipmentList {
  const { rest } = useClient();
  const [items, setItems] = useState<Equipment[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);

  const refresh = useCallback(() => {
    rest
      .listEquipment()
      .then((list) => Promise.all(list.map((info) => rest.getEquipment(info.id))))
      .then((all) => {
        setItems(all);
        setError(null);
        setLoaded(true);
      })
      .catch((err) => setError(`Could not load the instruments: ${describeError(err)}`));
  }, [rest]);

  const upsert = useCallback((equipment: Equipment) => {
    setItems((all) =>
      all.some((e) => e.id === equipment.id)
        ? all.map((e) => (e.id === equipment.id ? equipment : e))
        : [...all, equipment],
    );
  }, []);

  useEffect(refresh, [refresh]);
  useResync(refresh);

  useServerEvent('equipment_connected', (data) => {
    if (typeof data.equipment_id !== 'string') return;
    rest
      .getEquipment(data.equipment_id)
      .then(upsert)
      .catch(() => refresh());
  });
  useServerEvent('equipment_disconnected', (data) => {
    setItems((all) => all.filter((e) => e.id !== data.equipment_id));
  });
  useServerEvent('equipment_state', (data) => {
    setItems((all) =>
      all.map((e) =>
        e.id === data.equipment_id
          ? {
              ...e,
              state: data.state as Equipment['state'],
              error: typeof data.error === 'string' ? data.error : null,
            }
          : e,
      ),
    );
  });

  return { items, error, loaded, refresh, upsert };
}
