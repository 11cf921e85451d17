// Past and current sessions, newest first: open one to plot it from storage (or follow it live), or delete it.

import type { AcquisitionSessionSummary } from '@lablink/client';
import { useCallback, useEffect, useState } from 'react';
import { useClient, useResync } from '../../app/client';
import { useNotify } from '../../app/notifications';
import { href } from '../../app/router';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../lib/errors';
import { stateText } from './model';

export function SessionList({ openId, version }: { openId: string | undefined; version: number }) {
  const { rest } = useClient();
  const notify = useNotify();
  const [sessions, setSessions] = useState<AcquisitionSessionSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  const refresh = useCallback(() => {
    rest
      .listAcquisitions()
      .then((list) => {
        setSessions([...list.sessions].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at)));
        setError(null);
      })
      .catch((err) => setError(describeError(err)));
  }, [rest]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` asks for a re-read (a session was created or changed)
  useEffect(refresh, [refresh, version]);
  useResync(refresh, 5000);

  const remove = async (id: string) => {
    setConfirming(null);
    try {
      await rest.deleteAcquisition(id);
      notify('success', `Session ${id} deleted`);
      if (openId === id) window.location.hash = href('acquisition');
      refresh();
    } catch (err) {
      notify('error', `Session ${id} not deleted: ${describeError(err)}`);
    }
  };

  return (
    <section className="card acq-sessions" aria-label="Sessions">
      <h3>Sessions</h3>
      <ErrorAlert message={error} />
      {sessions === null && !error && <p className="muted">Loading…</p>}
      {sessions?.length === 0 && <p className="muted">No sessions yet.</p>}
      {sessions && sessions.length > 0 && (
        <div className="table-scroll">
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col">State</th>
                <th scope="col">Mode</th>
                <th scope="col">Created</th>
                <th scope="col" className="num">
                  Samples
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr key={s.acquisition_id} aria-current={s.acquisition_id === openId ? 'true' : undefined}>
                  <th scope="row">
                    <a href={href('acquisition', s.acquisition_id)}>{s.name || s.acquisition_id}</a>
                    {s.name && <div className="muted small mono">{s.acquisition_id}</div>}
                  </th>
                  <td data-state={s.state}>{stateText(s.state)}</td>
                  <td>{s.mode}</td>
                  <td>{new Date(s.created_at).toLocaleString()}</td>
                  <td className="num mono">{s.total_samples}</td>
                  <td className="row-actions">
                    {confirming === s.acquisition_id ? (
                      <>
                        <button
                          type="button"
                          className="danger small-button"
                          onClick={() => remove(s.acquisition_id)}
                        >
                          Delete
                        </button>
                        <button
                          type="button"
                          className="secondary small-button"
                          onClick={() => setConfirming(null)}
                        >
                          Keep
                        </button>
                      </>
                    ) : (
                      <button
                        type="button"
                        className="secondary small-button"
                        aria-label={`Delete ${s.name || s.acquisition_id}…`}
                        onClick={() => setConfirming(s.acquisition_id)}
                      >
                        Delete…
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
