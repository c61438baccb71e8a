import { toDrawingView, toImageView, toStoryView } from './child.view.js'
import type { DrawingRow, ImageRow, ProjectRow, StoryRow } from './db/schema.js'
import { toProjectData } from './project.view.js'
import type { ProjectChanges } from './projects.repository.js'
import type { CharacterRow, SnapshotKind, SnapshotRow, StyleRow } from './versions.repository.js'

/** Bumped when the snapshot's shape changes incompatibly; restores read every format they know. */
export const SNAPSHOT_FORMAT = 1
/** A snapshot larger than this as JSON is refused (PostgreSQL's jsonb tops out near 256 MiB). */
export const SNAPSHOT_MAX_BYTES = 100 * 1024 * 1024

const times = (row: { createdAt: Date; updatedAt: Date }) => ({ createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() })
const common = (row: SnapshotRow) => ({ id: row.id, projectId: row.projectId, version: row.version, ...times(row) })

export const toCharacterSnapshot = (row: CharacterRow) => ({ ...common(row), name: row.name, description: row.description, referenceFileIds: row.referenceFileIds })
export const toStyleSnapshot = (row: StyleRow) => ({
  ...common(row),
  name: row.name,
  promptFragment: row.promptFragment,
  palette: row.palette,
  lineWeight: row.lineWeight,
})

/** A project and all its children at one moment, as JSON (each child as its REST view). */
export interface Snapshot {
  format: number
  project: ReturnType<typeof toProjectData>
  stories: ReturnType<typeof toStoryView>[]
  images: ReturnType<typeof toImageView>[]
  drawings: ReturnType<typeof toDrawingView>[]
  characters: ReturnType<typeof toCharacterSnapshot>[]
  stylePresets: ReturnType<typeof toStyleSnapshot>[]
}

export type ProjectRows = Record<SnapshotKind, SnapshotRow[]>

/** Where each table's rows live in a snapshot. */
export const SNAPSHOT_KEYS = { story: 'stories', stylePreset: 'stylePresets', character: 'characters', image: 'images', drawing: 'drawings' } as const satisfies Record<SnapshotKind, keyof Snapshot>

export function buildSnapshot(project: ProjectRow, rows: ProjectRows): Snapshot {
  return {
    format: SNAPSHOT_FORMAT,
    project: toProjectData(project),
    stories: rows.story.map((row) => toStoryView(row as unknown as StoryRow)),
    images: rows.image.map((row) => toImageView(row as unknown as ImageRow)),
    drawings: rows.drawing.map((row) => toDrawingView(row as unknown as DrawingRow)),
    characters: rows.character.map((row) => toCharacterSnapshot(row as unknown as CharacterRow)),
    stylePresets: rows.stylePreset.map((row) => toStyleSnapshot(row as unknown as StyleRow)),
  }
}

/** The project's own fields a restore puts back (where it came from and its trash state stay). */
export function projectFieldsOf(snapshot: Snapshot): ProjectChanges {
  const { project } = snapshot
  return {
    title: project.title,
    description: project.description,
    tags: project.tags,
    pageSize: project.pageFormat.size,
    pageOrientation: project.pageFormat.orientation,
    settings: project.settings,
    coverFileId: project.coverFileId,
  }
}

/** A snapshot's rows of one table, as rows of `projectId` at the given versions, changed `at`. */
export function rowsFromSnapshot(snapshot: Snapshot, kind: SnapshotKind, projectId: string, versionOf: (id: string, snapshotVersion: number) => number, at: Date): SnapshotRow[] {
  const items = (snapshot[SNAPSHOT_KEYS[kind]] ?? []) as unknown as ({ id: string; version: number; createdAt: string } & Record<string, unknown>)[]
  return items.map((item) => ({ ...item, projectId, createdAt: new Date(item.createdAt), updatedAt: at, version: versionOf(item.id, item.version) }))
}
