import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { DateTime, IANAZone } from 'luxon';
import { flattenValidationErrors, originOf, privateTargetReason } from '@illbridge/common';
import { iso18626Problems } from '../iso18626/iso18626-profile';
import { ProfileDto } from './profile.dto';

/** A profile after validation: everything the entity needs, secrets still in clear (encrypted on save). */
export interface ValidProfile extends ProfileDto {
  code: string;
  name: string;
  system: NonNullable<ProfileDto['system']>;
  libraryCode: string;
  resourceSharingLibraryCode: string;
}

/** The shortest password a Netpunkt profile takes: the endpoint is open to anyone who can reach it. */
export const NETPUNKT_MIN_PASSWORD_LENGTH = 12;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const SECOND = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

function checkHarvestStart(value: string, granularity: string, now: Date, problems: string[]) {
  const pattern = granularity === 'SECOND' ? SECOND : DAY;
  if (!pattern.test(value)) {
    problems.push(`harvestStartDate must match granularity ${granularity} (${granularity === 'SECOND' ? 'YYYY-MM-DDThh:mm:ssZ' : 'YYYY-MM-DD'})`);
    return;
  }
  const parsed = DateTime.fromISO(value, { zone: 'utc' });
  if (!parsed.isValid) problems.push(`harvestStartDate ${value} is not a real date`);
  else if (parsed.toMillis() > now.getTime()) problems.push('harvestStartDate must not lie in the future');
}

export interface ProfileCheckOptions {
  /** A secret is stored already (PATCH of a profile of the same system). */
  secretKept: boolean;
  /** The origin of the stored baseUrl (PATCH): a stored secret is kept only while the origin stays. */
  storedOrigin?: string | null;
  /** ALLOW_PRIVATE_TARGETS: baseUrl may name loopback, link-local and private addresses. */
  allowPrivateTargets?: boolean;
  now?: Date;
  /** A shared secret of the ISO 18626 channel is stored already, and the origin of its stored endpoint (PATCH). */
  iso18626SecretKept?: boolean;
  iso18626StoredOrigin?: string | null;
}

/** Every problem of a whole profile at once: shape (class-validator, unknown properties refused) and
 *  the rules that depend on the system. `secretsKept` tells which secrets are stored already (PATCH). */
export async function profileProblems(input: unknown, options: ProfileCheckOptions): Promise<{ problems: string[]; profile: ValidProfile }> {
  const problems: string[] = [];
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { problems: ['body must be a JSON object'], profile: {} as ValidProfile };
  }
  const dto = plainToInstance(ProfileDto, input);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: false } });
  problems.push(...flattenValidationErrors(errors));
  const badFields = new Set(errors.map((e) => e.property));
  const p = dto as ValidProfile;
  const now = options.now ?? new Date();

  for (const field of ['code', 'name', 'integrationType', 'system', 'libraryCode', 'resourceSharingLibraryCode'] as const) {
    if (!badFields.has(field) && (p[field] === undefined || p[field] === null || p[field] === '')) problems.push(`${field} is required`);
  }
  const system = badFields.has('system') ? undefined : p.system;
  const auth = p.authentication ?? {};
  const harvested = system === 'LIBRIS' || system === 'NACSIS';
  // Stored credentials go only to the origin they were given for: a profile re-pointed elsewhere needs them again.
  const newOrigin = harvested && typeof p.baseUrl === 'string' ? originOf(p.baseUrl) : null;
  const moved = options.secretKept && options.storedOrigin !== undefined && newOrigin !== null && newOrigin !== options.storedOrigin;
  const secretKept = options.secretKept && !moved;
  const again = (field: string) =>
    `${field} must be sent again: baseUrl now points at ${newOrigin} instead of ${options.storedOrigin}, and stored credentials are never sent to another host`;

  if (harvested) {
    if (!p.baseUrl) {
      if (!badFields.has('baseUrl')) problems.push(`baseUrl is required for ${system} profiles`);
    } else if (!/^https?:\/\/[^\s/]+/i.test(p.baseUrl) || !URL.canParse(p.baseUrl)) {
      problems.push('baseUrl must be an http(s) URL');
    } else if (!options.allowPrivateTargets) {
      const reason = privateTargetReason(p.baseUrl);
      if (reason) problems.push(`baseUrl must not point at ${reason} (${new URL(p.baseUrl).hostname}); set ALLOW_PRIVATE_TARGETS=true to allow it`);
    }
    if (!p.harvestStartDate) {
      if (!badFields.has('harvestStartDate')) problems.push(`harvestStartDate is required for ${system} profiles`);
    } else if (!badFields.has('granularity')) {
      checkHarvestStart(p.harvestStartDate, p.granularity ?? 'DAY', now, problems);
    }
  }
  if (system === 'NETPUNKT') {
    if (p.baseUrl) problems.push('baseUrl is not used by NETPUNKT profiles (Netpunkt pushes receipts to us)');
    if (p.schedule && p.schedule.type !== 'NOT_SCHEDULED') problems.push('schedule.type must be NOT_SCHEDULED for NETPUNKT profiles: Netpunkt pushes, nothing is harvested');
    if (auth.apiKey !== undefined) problems.push('authentication.apiKey is not used by NETPUNKT profiles');
    if (auth.userId !== undefined) problems.push('authentication.userId is not used by NETPUNKT profiles');
    if (!auth.password && !options.secretKept) problems.push('authentication.password is required for NETPUNKT profiles (incoming receipts must carry it)');
    if (typeof auth.password === 'string' && auth.password.length < NETPUNKT_MIN_PASSWORD_LENGTH) {
      problems.push(`authentication.password must be at least ${NETPUNKT_MIN_PASSWORD_LENGTH} characters long for NETPUNKT profiles`);
    }
  }
  if (system === 'LIBRIS') {
    if (auth.password !== undefined || auth.userId !== undefined) problems.push('authentication of a LIBRIS profile takes enabled and apiKey only');
    if (auth.enabled && !auth.apiKey && !secretKept) problems.push(moved ? again('authentication.apiKey') : 'authentication.apiKey is required when authentication is enabled');
  }
  if (system === 'NACSIS') {
    if (auth.apiKey !== undefined) problems.push('authentication.apiKey is not used by NACSIS profiles');
    if (!auth.userId) problems.push('authentication.userId is required for NACSIS profiles');
    if (!auth.password && !secretKept) problems.push(moved ? again('authentication.password') : 'authentication.password is required for NACSIS profiles');
  }

  if (!badFields.has('iso18626')) {
    problems.push(
      ...iso18626Problems(p, system, { secretKept: !!options.iso18626SecretKept, storedOrigin: options.iso18626StoredOrigin, allowPrivateTargets: options.allowPrivateTargets }),
    );
  }

  const schedule = p.schedule;
  if (schedule && typeof schedule === 'object') {
    if ((schedule.type === 'DAILY' || schedule.type === 'WEEKLY') && !schedule.time) problems.push(`schedule.time is required for ${schedule.type} schedules`);
    if (schedule.type === 'WEEKLY' && !schedule.dayOfWeek) problems.push('schedule.dayOfWeek is required for WEEKLY schedules');
    if (schedule.type === 'INTERVAL' && schedule.everyMinutes === undefined) problems.push('schedule.everyMinutes is required for INTERVAL schedules');
    if (schedule.timezone !== undefined && !IANAZone.isValidZone(schedule.timezone)) problems.push(`schedule.timezone "${schedule.timezone}" is not an IANA time zone`);
  }
  return { problems, profile: p };
}
