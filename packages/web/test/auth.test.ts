// Signing in and roles in the web app, as pure rules: the order of the roles, why a viewer's controls are
// disabled (one more reason beside an unreachable server and a paused instrument), open mode, a refused sign-in
// in words, which panels a role sees, and the Admin panel's reading of the server's answers.

import { LabLinkError } from '@lablink/client';
import { describe, expect, it } from 'vitest';
import {
  assignableRoles,
  auditDetailText,
  isOpenMode,
  listIn,
  loginErrorText,
  nextAuditCursor,
  OPEN_MODE_NOTICE,
  roleAtLeast,
  roleBlocked,
  tokenSecretIn,
  toPrincipal,
} from '../src/lib/auth';
import { controlsBlocked } from '../src/lib/freshness';
import { visiblePanels } from '../src/panels';

describe('roles', () => {
  it('orders viewer < operator < admin', () => {
    expect(roleAtLeast('viewer', 'viewer')).toBe(true);
    expect(roleAtLeast('viewer', 'operator')).toBe(false);
    expect(roleAtLeast('operator', 'operator')).toBe(true);
    expect(roleAtLeast('operator', 'admin')).toBe(false);
    expect(roleAtLeast('admin', 'operator')).toBe(true);
    expect(roleAtLeast(null, 'viewer')).toBe(false);
  });

  it('says why a role may not act, and nothing when it may', () => {
    expect(roleBlocked('viewer')).toBe('Your role (viewer) can watch but not control');
    expect(roleBlocked('operator')).toBeNull();
    expect(roleBlocked('admin')).toBeNull();
    expect(roleBlocked('operator', 'admin')).toBe('Your role (operator) cannot change the configuration');
    expect(roleBlocked(null)).toBe('Sign in to control');
  });

  it('lets an admin give a user or token at most its own role', () => {
    expect(assignableRoles('admin')).toEqual(['viewer', 'operator', 'admin']);
    expect(assignableRoles('operator')).toEqual(['viewer', 'operator']);
    expect(assignableRoles(null)).toEqual([]);
  });
});

describe('the role as one more reason controls are disabled', () => {
  const viewer = roleBlocked('viewer');
  it('comes after an unreachable server and before a paused instrument', () => {
    expect(controlsBlocked({ state: 'connected', reachable: true, roleReason: viewer })).toBe(
      'Your role (viewer) can watch but not control',
    );
    expect(controlsBlocked({ state: 'connected', reachable: false, roleReason: viewer })).toBe(
      'Server unreachable — controls disabled',
    );
    expect(controlsBlocked({ state: 'reconnecting', reachable: true, roleReason: viewer })).toBe(
      'Your role (viewer) can watch but not control',
    );
  });
  it('leaves an operator the other reasons only', () => {
    const operator = roleBlocked('operator');
    expect(controlsBlocked({ state: 'connected', reachable: true, roleReason: operator })).toBeNull();
    expect(controlsBlocked({ state: 'error', reachable: true, roleReason: operator })).toBe(
      'Controls are paused while the instrument is in error',
    );
  });
});

describe('open mode and who is signed in', () => {
  it('reads the status', () => {
    expect(isOpenMode({ mode: 'open', me: null })).toBe(true);
    expect(isOpenMode({ mode: 'required', me: null })).toBe(false);
    expect(isOpenMode(null)).toBe(false);
    expect(OPEN_MODE_NOTICE).toBe('Open mode — no sign-in (this server listens on this computer only)');
  });
  it('reads a principal from /api/auth/me or the status `me`', () => {
    expect(toPrincipal({ username: 'ada', role: 'operator', kind: 'user' })).toEqual({
      username: 'ada',
      role: 'operator',
      kind: 'user',
    });
    expect(toPrincipal({ user: { username: 'ci', role: 'viewer', kind: 'token' } })?.kind).toBe('token');
    expect(toPrincipal(null)).toBeNull();
    expect(toPrincipal({ username: 'x', role: 'root' })).toBeNull();
  });
});

describe('a refused sign-in in words', () => {
  it('wrong credentials', () => {
    expect(loginErrorText(new LabLinkError(401, 'unauthenticated', 'wrong username or password'))).toBe(
      'Wrong username or password.',
    );
  });
  it('too many attempts, with when to try again', () => {
    const err = (retry_after?: number) =>
      new LabLinkError(429, 'rate_limited', 'too many failed logins', undefined, { retry_after });
    expect(loginErrorText(err(40))).toBe('Too many failed sign-ins: try again in 40 s.');
    expect(loginErrorText(err(600))).toBe('Too many failed sign-ins: try again in 10 min.');
    expect(loginErrorText(err())).toBe('Too many failed sign-ins: wait a few minutes and try again.');
  });
  it('an unreachable server, and anything else', () => {
    expect(loginErrorText(new LabLinkError(0, 'unreachable', 'cannot reach'))).toMatch(/cannot be reached/);
    expect(loginErrorText(new Error('boom'))).toBe('Sign-in failed: boom');
  });
});

describe('panels by role', () => {
  const ids = (role: Parameters<typeof visiblePanels>[0]) => visiblePanels(role).map((p) => p.id);
  it('shows Admin to admins only', () => {
    expect(ids('admin')).toContain('admin');
    expect(ids('operator')).not.toContain('admin');
    expect(ids('viewer')).toEqual(['equipment', 'acquisition', 'alarms', 'scheduler']);
  });
  it('shows Benches on a hub only', () => {
    expect(visiblePanels('viewer', true).map((p) => p.id)).toContain('benches');
    expect(ids('admin')).not.toContain('benches');
  });
});

describe('the Admin panel reads the answers', () => {
  it('finds lists under their key', () => {
    expect(listIn({ users: [{ username: 'a' }] }, 'users')).toHaveLength(1);
    expect(listIn({ entries: [1, 2] }, 'events', 'entries')).toEqual([1, 2]);
    expect(listIn([3], 'x')).toEqual([3]);
    expect(listIn({}, 'users')).toEqual([]);
  });
  it('finds a new token once', () => {
    expect(tokenSecretIn({ id: 't1', name: 'ci', token: 'll_abc' })).toBe('ll_abc');
    expect(tokenSecretIn({ token: { id: 't1', secret: 'll_def' } })).toBe('ll_def');
    expect(tokenSecretIn({ id: 't1' })).toBeNull();
  });
  it('pages the audit log by next_before, else by the oldest id', () => {
    const rows = [{ id: 9 }, { id: 8 }].map((r) => ({ ...r, at: '', principal: 'a', action: 'x' }));
    expect(nextAuditCursor({ next_before: 8 }, rows, 2)).toBe('8');
    expect(nextAuditCursor({ next_before: null }, rows, 2)).toBeNull();
    expect(nextAuditCursor({}, rows, 2)).toBe('8');
    expect(nextAuditCursor({}, rows, 50)).toBeNull();
  });
  it('says an entry detail in one line', () => {
    expect(auditDetailText({ voltage: 5, channel: 1 })).toBe('voltage=5 channel=1');
    expect(auditDetailText(null)).toBe('');
    expect(auditDetailText('text')).toBe('text');
  });
});
