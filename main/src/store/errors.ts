/** A store failure a user can act on: always one line naming what is wrong. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}
