// `command`: one instrument action, `parameters: {action, parameters}` (`command` is accepted for `action`), through
// the one command path as the job's session: a lock held by another session, the emergency stop and the limits
// refuse it exactly as they refuse a user, and the run fails saying so (a lock names its holder).

import type { JobType } from '../types.js';
import {
  checkCommand,
  commandContext,
  equipmentOf,
  invalid,
  jsonSafe,
  onlyKeys,
  paramsOf,
} from './common.js';

const KEYS = ['action', 'command', 'parameters'];

function actionOf(p: Record<string, unknown>): { value: unknown; field: string } {
  if (p.action !== undefined && p.command !== undefined) {
    throw invalid('parameters.command', 'give action or command (the same thing), not both');
  }
  return p.action !== undefined || p.command === undefined
    ? { value: p.action, field: 'parameters.action' }
    : { value: p.command, field: 'parameters.command' };
}

export const commandJob: JobType = {
  name: 'command',
  needsEquipment: true,
  validate(job, services) {
    const p = paramsOf(job);
    onlyKeys(p, KEYS, 'parameters');
    const view = equipmentOf(services, job, undefined, 'parameters');
    const action = actionOf(p);
    checkCommand(services, view, action.value, p.parameters, {
      action: action.field,
      parameters: 'parameters.parameters',
    });
  },
  async run(ctx) {
    const { job, services } = ctx;
    const p = paramsOf(job);
    const view = equipmentOf(services, job, undefined, 'parameters');
    const action = actionOf(p);
    const { command, params } = checkCommand(services, view, action.value, p.parameters, {
      action: action.field,
      parameters: 'parameters.parameters',
    });
    ctx.log(`${view.info.id}: ${command.name} ${JSON.stringify(params)}`);
    const result = await services.equipment.execute(view.info.id, command.name, params, commandContext(job));
    ctx.log(`${command.name}: done`);
    return {
      result: {
        equipment_id: view.info.id,
        action: command.name,
        parameters: params,
        result: jsonSafe(result),
      },
      verdict: 'pass',
    };
  },
};
