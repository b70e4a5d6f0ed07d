import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ApiError, APP_CONFIG, AppConfig, conflict, notFound, originOf, SecretBox, serviceUnavailable, validationFailed } from '@illbridge/common';
import { IntegrationProfileEntity, JobRunEntity, LibraryEntity, ProfileSystem } from '@illbridge/database/entities';
import { isForeignKeyViolation, isUniqueViolation } from '@illbridge/database/errors';
import { ImportJobs, importJobName, nextRunAfter, SchedulesService, wantedSchedule } from '@illbridge/queues';
import { nextHarvestFrom, rewindsHarvest } from '@illbridge/workflow';
import { assignIso18626, iso18626Input, iso18626View } from '../iso18626/iso18626-profile';
import { ProfileDto } from './profile.dto';
import { profileProblems, ValidProfile } from './profile-validation';

export interface ProfileFilter {
  system?: ProfileSystem;
  active?: boolean;
  code?: string;
}

@Injectable()
export class ProfilesService {
  private readonly logger = new Logger(ProfilesService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly importJobs: ImportJobs,
    private readonly schedules: SchedulesService,
    private readonly secrets: SecretBox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(filter: ProfileFilter, limit: number, offset: number) {
    const where: Record<string, unknown> = {};
    if (filter.system) where.system = filter.system;
    if (filter.active !== undefined) where.active = filter.active;
    if (filter.code) where.code = filter.code;
    const [items, total] = await this.dataSource.getRepository(IntegrationProfileEntity).findAndCount({ where, order: { code: 'ASC' }, take: limit, skip: offset });
    return { items: await Promise.all(items.map((p) => this.view(p))), total, limit, offset };
  }

  async get(id: string) {
    return this.view(await this.find(id));
  }

  async find(id: string, manager: EntityManager = this.dataSource.manager): Promise<IntegrationProfileEntity> {
    const profile = await manager.getRepository(IntegrationProfileEntity).findOne({ where: { id } });
    if (!profile) throw notFound('Integration profile');
    return profile;
  }

  async create(input: unknown) {
    const profile = await this.validated(input, null);
    const saved = await this.saveAndSchedule(async (manager) => {
      const entity = manager.getRepository(IntegrationProfileEntity).create();
      this.assign(entity, profile);
      return manager.getRepository(IntegrationProfileEntity).save(entity);
    });
    this.logger.log(`Profile ${saved.code} (${saved.system}) created`);
    return this.view(saved);
  }

  async update(id: string, patch: unknown) {
    const existing = await this.find(id);
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw validationFailed(['body must be a JSON object']);
    const current = this.toInput(existing);
    const body = patch as Record<string, any>;
    // Only an object is merged into the stored one; anything else (an array too) is validated as sent.
    const isObject = (value: unknown): value is object => value !== null && typeof value === 'object' && !Array.isArray(value);
    const merged = {
      ...current,
      ...body,
      authentication: isObject(body.authentication) ? { ...current.authentication, ...body.authentication } : (body.authentication ?? current.authentication),
      schedule: isObject(body.schedule) ? { ...current.schedule, ...body.schedule } : (body.schedule ?? current.schedule),
      iso18626: isObject(body.iso18626) ? { ...current.iso18626, ...body.iso18626 } : body.iso18626 === null ? undefined : (body.iso18626 ?? current.iso18626),
    };
    const profile = await this.validated(merged, existing);
    const saved = await this.saveAndSchedule(async (manager) => {
      const entity = await this.find(id, manager);
      // Moving the harvest start date before where the next run would start re-imports from the new date.
      const rewind = rewindsHarvest(entity, profile.system === 'NETPUNKT' ? null : (profile.harvestStartDate ?? null));
      this.assign(entity, profile);
      if (rewind) {
        entity.harvestCursor = null;
        entity.harvestCursors = {};
        this.logger.log(`Profile ${entity.code}: harvest start date moved to ${entity.harvestStartDate}; the next run harvests from there`);
      }
      return manager.getRepository(IntegrationProfileEntity).save(entity);
    });
    return this.view(saved);
  }

  /** Deletes a profile that has no history: a profile with requests, job runs or Netpunkt receipts answers 409
   *  `PROFILE_IN_USE` (deactivate it instead), so its history and requests are never lost or orphaned. The profile
   *  row is locked first; the foreign keys (ON DELETE RESTRICT) refuse what a concurrent writer adds meanwhile. */
  async remove(id: string) {
    try {
      await this.dataSource.transaction(async (manager) => {
        const profile = await this.find(id, manager);
        await manager.query('SELECT 1 FROM integration_profile WHERE id = $1 FOR UPDATE', [profile.id]);
        const [use] = await manager.query(
          `SELECT (SELECT count(*) FROM rs_request WHERE profile_id = $1)::int AS requests,
                  (SELECT count(*) FROM job_run WHERE profile_id = $1)::int AS runs,
                  (SELECT count(*) FROM netpunkt_receipt WHERE profile_id = $1)::int AS receipts`,
          [profile.id],
        );
        if (use.requests || use.runs || use.receipts) throw profileInUse(profile.code, use);
        await manager.getRepository(IntegrationProfileEntity).delete({ id: profile.id });
        await this.schedules.remove(profile.id).catch((error) => {
          throw serviceUnavailable(`The queue store is unavailable, the profile was not deleted: ${error.message}`);
        });
      });
    } catch (error) {
      if (isForeignKeyViolation(error)) throw profileInUse(id, null);
      throw error;
    }
  }

  /** "Run now": a PENDING run, then its job. One active run per profile (unique index). */
  async runNow(id: string) {
    const profile = await this.find(id);
    if (!profile.active) throw new ApiError(HttpStatus.CONFLICT, 'PROFILE_INACTIVE', `Profile ${profile.code} is inactive; activate it to run it`);
    if (profile.system === 'NETPUNKT') throw conflict(`Profile ${profile.code} is a Netpunkt profile: Netpunkt pushes receipts, there is nothing to harvest`);
    if (profile.system === 'ISO18626') throw conflict(`Profile ${profile.code} is an ISO 18626 profile: the peer pushes its messages, there is nothing to harvest`);
    const runs = this.dataSource.getRepository(JobRunEntity);
    let run: JobRunEntity;
    try {
      run = await runs.save(runs.create({ profileId: profile.id, jobName: importJobName(profile.name), trigger: 'MANUAL', state: 'PENDING', stage: 'QUEUED' }));
    } catch (error) {
      if (isUniqueViolation(error)) throw new ApiError(HttpStatus.CONFLICT, 'JOB_ALREADY_RUNNING', `A run of profile ${profile.code} is already pending or running`);
      throw error;
    }
    let jobId: string;
    try {
      jobId = await this.importJobs.enqueueRun(run);
    } catch (error: any) {
      await runs.delete({ id: run.id });
      throw serviceUnavailable(`The queue store is unavailable, nothing was started: ${error.message}`);
    }
    await runs.update({ id: run.id }, { queueJobId: jobId });
    return { jobRunId: run.id, state: 'PENDING' as const };
  }

  /** Saves in a transaction and makes the schedule true before committing: a queue store that is
   *  down rolls the change back (503) instead of leaving a profile without its schedule. */
  private async saveAndSchedule(save: (manager: EntityManager) => Promise<IntegrationProfileEntity>) {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const saved = await save(manager);
        await this.schedules.apply(saved).catch((error) => {
          throw serviceUnavailable(`The queue store is unavailable, the profile was not saved: ${error.message}`);
        });
        return saved;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('A profile with this code exists already');
      throw error;
    }
  }

  private async validated(input: unknown, existing: IntegrationProfileEntity | null): Promise<ValidProfile> {
    const { problems, profile } = await profileProblems(input, {
      secretKept: !!existing?.secretEnc && this.sameSystem(input, existing),
      storedOrigin: existing ? originOf(existing.baseUrl) : undefined,
      allowPrivateTargets: !!this.config.allowPrivateTargets,
      iso18626SecretKept: !!existing?.iso18626SecretEnc,
      iso18626StoredOrigin: existing ? originOf(existing.iso18626EndpointUrl) : undefined,
    });
    if (profile.resourceSharingLibraryCode && typeof profile.resourceSharingLibraryCode === 'string') {
      const library = await this.dataSource.getRepository(LibraryEntity).findOne({ where: { code: profile.resourceSharingLibraryCode } });
      if (!library) problems.push(`resourceSharingLibraryCode ${profile.resourceSharingLibraryCode} names no library`);
      else if (!library.resourceSharing) problems.push(`resourceSharingLibraryCode ${profile.resourceSharingLibraryCode} is not a resource sharing library`);
    }
    if (profile.code && typeof profile.code === 'string' && profile.code !== existing?.code) {
      const taken = await this.dataSource.getRepository(IntegrationProfileEntity).exists({ where: { code: profile.code } });
      if (taken && !problems.length) throw conflict(`A profile with code ${profile.code} exists already`);
    }
    if (problems.length) throw validationFailed(problems);
    return profile;
  }

  private sameSystem(input: unknown, existing: IntegrationProfileEntity) {
    return (input as ProfileDto | null)?.system === existing.system;
  }

  private assign(entity: IntegrationProfileEntity, p: ValidProfile) {
    const auth = p.authentication ?? {};
    const schedule = p.system === 'NETPUNKT' ? { type: 'NOT_SCHEDULED' as const } : (p.schedule ?? { type: 'NOT_SCHEDULED' as const });
    const secret = p.system === 'LIBRIS' ? auth.apiKey : auth.password;
    Object.assign(entity, {
      code: p.code,
      name: p.name,
      integrationType: p.integrationType ?? 'RESOURCE_SHARING',
      description: p.description ?? null,
      system: p.system,
      baseUrl: p.system === 'NETPUNKT' ? null : p.baseUrl,
      libraryCode: p.libraryCode,
      resourceSharingLibraryCode: p.resourceSharingLibraryCode,
      authEnabled: p.system === 'LIBRIS' ? !!auth.enabled : true,
      authUserId: p.system === 'NACSIS' ? auth.userId : null,
      active: p.active ?? true,
      harvestStartDate: p.system === 'NETPUNKT' ? null : p.harvestStartDate,
      granularity: p.granularity ?? 'DAY',
      scheduleType: schedule.type,
      scheduleTime: schedule.type === 'DAILY' || schedule.type === 'WEEKLY' ? schedule.time : null,
      scheduleDayOfWeek: schedule.type === 'WEEKLY' ? schedule.dayOfWeek : null,
      scheduleEveryMinutes: schedule.type === 'INTERVAL' ? schedule.everyMinutes : null,
      scheduleTimezone: schedule.timezone ?? 'UTC',
    });
    if (secret) entity.secretEnc = this.secrets.encrypt(secret);
    assignIso18626(entity, p.iso18626, this.secrets);
    if (entity.system === 'LIBRIS' && !entity.authEnabled) entity.secretEnc = null;
  }

  /** The stored profile in the form it is sent (without secrets), so a PATCH is validated as a whole. */
  private toInput(p: IntegrationProfileEntity): ProfileDto & Record<string, any> {
    const clean = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as T;
    return clean({
      code: p.code,
      name: p.name,
      integrationType: p.integrationType,
      description: p.description,
      system: p.system,
      baseUrl: p.baseUrl,
      libraryCode: p.libraryCode,
      resourceSharingLibraryCode: p.resourceSharingLibraryCode,
      authentication: clean({ enabled: p.authEnabled, userId: p.authUserId ?? undefined }),
      active: p.active,
      harvestStartDate: p.harvestStartDate,
      granularity: p.granularity,
      schedule: clean({ type: p.scheduleType, time: p.scheduleTime, dayOfWeek: p.scheduleDayOfWeek, everyMinutes: p.scheduleEveryMinutes, timezone: p.scheduleTimezone }),
      iso18626: iso18626Input(p),
    } as any);
  }

  async view(p: IntegrationProfileEntity) {
    const lastRun = await this.dataSource.getRepository(JobRunEntity).findOne({ where: { profileId: p.id }, order: { createdAt: 'DESC' } });
    const secretSet = !!p.secretEnc;
    const authentication =
      p.system === 'LIBRIS'
        ? { enabled: p.authEnabled, apiKeySet: secretSet }
        : p.system === 'NACSIS'
          ? { enabled: p.authEnabled, userId: p.authUserId, passwordSet: secretSet }
          : { enabled: p.authEnabled, passwordSet: secretSet };
    return {
      id: p.id,
      code: p.code,
      name: p.name,
      integrationType: p.integrationType,
      description: p.description,
      system: p.system,
      baseUrl: p.baseUrl,
      libraryCode: p.libraryCode,
      resourceSharingLibraryCode: p.resourceSharingLibraryCode,
      authentication,
      active: p.active,
      harvestStartDate: p.harvestStartDate,
      granularity: p.granularity,
      nextHarvestFrom: p.system === 'NETPUNKT' || p.system === 'ISO18626' ? null : nextHarvestFrom(p),
      schedule: {
        type: p.scheduleType,
        ...(p.scheduleTime ? { time: p.scheduleTime } : {}),
        ...(p.scheduleDayOfWeek ? { dayOfWeek: p.scheduleDayOfWeek } : {}),
        ...(p.scheduleEveryMinutes ? { everyMinutes: p.scheduleEveryMinutes } : {}),
        timezone: p.scheduleTimezone,
      },
      jobName: importJobName(p.name),
      nextRunAt: await this.nextRunAt(p),
      lastRun: lastRun ? { id: lastRun.id, state: lastRun.state, startedAt: lastRun.startedAt, finishedAt: lastRun.finishedAt } : null,
      iso18626: iso18626View(p),
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
    };
  }

  /** The scheduler's next run as BullMQ holds it; computed the same way if the queue store cannot be read. */
  private async nextRunAt(p: IntegrationProfileEntity): Promise<Date | null> {
    const spec = wantedSchedule(p);
    if (!spec) return null;
    try {
      return await this.schedules.nextRunAt(p.id);
    } catch {
      return nextRunAfter(spec, new Date());
    }
  }
}

function profileInUse(code: string, use: { requests: number; runs: number; receipts: number } | null): ApiError {
  const what = use
    ? [`${use.requests} request(s)`, `${use.runs} job run(s)`, `${use.receipts} Netpunkt receipt(s)`].filter((part) => !part.startsWith('0 ')).join(', ')
    : 'history that was added meanwhile';
  return new ApiError(HttpStatus.CONFLICT, 'PROFILE_IN_USE', `Profile ${code} has ${what} and cannot be deleted; deactivate it instead (PATCH active=false)`);
}
