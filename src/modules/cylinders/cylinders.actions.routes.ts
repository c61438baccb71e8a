import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { requireActor } from '../../core/access/require-permission.js'
import { errorResponses } from '../../core/http/schemas.js'
import type { ActionInput } from './batch.service.js'
import { toCylinderView } from './cylinder.view.js'
import * as S from './cylinders.schemas.js'
import { batchRules, security, tags, type CylinderRouteContext } from './cylinders-routes.shared.js'
import { CYLINDERS_MANAGE, CYLINDERS_MOVE } from './permissions.js'

/** Batch actions that set cylinders aside or take them out: trash, quarantine, release, lost. */
export function actionRoutes(instance: FastifyInstance, { api, can, limited }: CylinderRouteContext): void {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const action = (path: string, type: 'quarantine' | 'release' | 'lose' | 'trash', permission: string, body: typeof S.ReasonBody | typeof S.ActionBody | typeof S.ReleaseBody, summary: string, description: string) =>
    app.post(
      path,
      {
        // Workers' scans (quarantine) count against the scan limit like moves do.
        preHandler: permission === CYLINDERS_MOVE ? [can(permission), ...limited] : can(permission),
        schema: { tags, security, summary, description: `${description} ${batchRules}`, body, response: { 200: S.CylinderItems, ...errorResponses(400, 401, 403, 409, 429) } },
      },
      async (request) => ({ items: (await api.batches.act(requireActor(request), type, request.body as ActionInput)).map(toCylinderView) }),
    )
  action('/cylinders/trash', 'trash', CYLINDERS_MANAGE, S.ReasonBody, 'Trash cylinders (admin)', 'Any status but trashed → trashed, for good. A reason is required.')
  action('/cylinders/quarantine', 'quarantine', CYLINDERS_MOVE, S.ReasonBody, 'Quarantine cylinders', 'Set aside a damaged or suspect cylinder: any status but trashed or quarantined → quarantined. A reason is required.')
  action('/cylinders/release', 'release', CYLINDERS_MANAGE, S.ReleaseBody, 'Release quarantined cylinders (admin)', 'quarantined → returned (empty, at the depot) after a passed test: lastTestOn and nextTestDue (after today) are recorded.')
  action('/cylinders/lost', 'lose', CYLINDERS_MANAGE, S.ActionBody, 'Mark cylinders as lost (admin)', 'sent → lost. A lost cylinder that comes back in a return batch is found.')
}
