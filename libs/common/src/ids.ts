const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are uuids: a malformed id is simply not found (404), never a database error. */
export const isUuid = (value: string | undefined | null): value is string => !!value && UUID.test(value);
