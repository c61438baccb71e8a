/** The run's embedded server trades durability for speed: nothing in it outlives the run. */
export const TEST_SERVER_SETTINGS: Record<string, string> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: '300',
  shared_buffers: '64MB',
}
