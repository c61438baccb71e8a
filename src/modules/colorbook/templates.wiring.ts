import type { ModuleContext } from '../../core/module.js'
import type { ProjectAccess } from './access.js'
import { BrandingService } from './branding.service.js'
import { CharactersService } from './characters.service.js'
import type { ColorbookEvents } from './events.js'
import type { ColorbookSettings } from './settings.js'
import type { ColorbookStore } from './store.js'
import { TemplatesService } from './templates.service.js'
import type { UsageService } from './usage.service.js'

/** The template marketplace, characters and style presets, and branding (one area's part of ColorbookApi). */
export interface TemplatesArea {
  readonly templates: TemplatesService
  /** Characters and style presets of a project. */
  readonly characters: CharactersService
  /** White-label branding; exports and e-mails call `applied(ownerId)`. */
  readonly branding: BrandingService
}

export function createTemplatesArea(ctx: Pick<ModuleContext<ColorbookSettings>, 'files' | 'access' | 'settings'>, access: ProjectAccess, store: ColorbookStore, events: ColorbookEvents, usage: Pick<UsageService, 'record'>): TemplatesArea {
  // Whoever sees a template may read the files its snapshot uses; a project's readers its characters' reference images.
  ctx.files.allowReads('colorbook-templates', (actor, file) => store.repos.templates.fileVisibleTo(file.id, actor.id))
  ctx.files.allowReads('colorbook-characters', (actor, file) => store.repos.characters.referenceFileVisibleTo(file.id, actor.id))
  return {
    templates: new TemplatesService(access, store, ctx.access, usage, { snapshotMaxBytes: ctx.settings.templateMaxBytes }),
    characters: new CharactersService(access, store, ctx.files, events),
    branding: new BrandingService(access, store, ctx.files),
  }
}
