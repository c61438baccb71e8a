import type { FilesService } from './files.service.js'

export interface FilesRouteOptions {
  files: FilesService
  maxUploadBytes: number
  /** Uploads per minute per account (per IP when signed out); 0 turns the limit off. */
  uploadRateLimitPerMinute: number
}

export const tags = ['files']
export const security = [{ bearerAuth: [] }]
