// Commands to one instrument with their feedback in one place: a toast for every outcome, the pending state
// for the control that sent it, and the server's refusal (`detail`) kept next to that control until the next try.

import { useCallback, useState } from 'react';
import { useClient } from '../app/client';
import { useNotify } from '../app/notifications';
import { describeError } from '../lib/errors';

export interface CommandRequest {
  /** Which control sent it (e.g. "ch1.voltage"): its pending state and error are kept under this key. */
  key: string;
  action: string;
  params?: Record<string, unknown>;
  /** Said on success, e.g. "CH1 voltage set to 5 V". */
  done: string;
  /** Said before the reason on failure, e.g. "CH1 voltage not set". */
  failed: string;
}

export interface Commands {
  /** Resolves true when the instrument took the command. */
  run(request: CommandRequest): Promise<boolean>;
  pending: Readonly<Record<string, boolean>>;
  errors: Readonly<Record<string, string>>;
}

const without = <T>(record: Record<string, T>, key: string) => {
  const { [key]: _, ...rest } = record;
  return rest;
};

export function useCommands(equipmentId: string, afterEach?: () => void): Commands {
  const { rest } = useClient();
  const notify = useNotify();
  const [pending, setPending] = useState<Record<string, boolean>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});

  const run = useCallback(
    async ({ key, action, params = {}, done, failed }: CommandRequest) => {
      setPending((p) => ({ ...p, [key]: true }));
      setErrors((e) => without(e, key));
      try {
        await rest.command(equipmentId, action, params);
        notify('success', done);
        return true;
      } catch (err) {
        const reason = describeError(err);
        setErrors((e) => ({ ...e, [key]: reason }));
        notify('error', `${failed}: ${reason}`);
        return false;
      } finally {
        setPending((p) => without(p, key));
        afterEach?.();
      }
    },
    [rest, equipmentId, notify, afterEach],
  );

  return { run, pending, errors };
}
