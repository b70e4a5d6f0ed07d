import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { plainToInstance, Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsEmail, IsIn, IsOptional, IsString, IsUUID, Length, validate, ValidateIf } from 'class-validator';
import { DataSource, IsNull } from 'typeorm';
import { Actor, APP_CONFIG, AppConfig, AuditActor, AuditService, flattenValidationErrors, notFound, Page, PageQuery, pageOf, privateTargetReason, RequireRole, SecretBox, validationFailed } from '@illbridge/common';
import { IntegrationProfileEntity, NOTIFICATION_CHANNELS, NotificationChannel, NotificationDeliveryEntity, NotificationSubscriberEntity } from '@illbridge/database/entities';
import { newWebhookSecret, NOTIFICATION_EVENT_TYPES, NotificationEventType, Notifier, testEvent } from '@illbridge/notifications';

const EVENT_TYPES = NOTIFICATION_EVENT_TYPES.filter((t) => t !== 'TEST');

export class CreateSubscriberDto {
  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'The profile whose events are told; null or absent: every profile (the global default)' })
  @IsOptional()
  @IsUUID()
  profileId?: string | null;
  @ApiProperty({ enum: NOTIFICATION_CHANNELS }) @IsIn(NOTIFICATION_CHANNELS as unknown as string[]) channel: NotificationChannel;
  @ApiProperty({ example: 'ILL team' }) @IsString() @Length(1, 200) name: string;
  @ApiPropertyOptional({ description: 'EMAIL: the address', example: 'ill@library.example' }) @IsOptional() @IsEmail() @Length(1, 320) email?: string;
  @ApiPropertyOptional({ description: 'WEBHOOK: the endpoint (http or https)', example: 'https://hooks.library.example/illbridge' }) @IsOptional() @IsString() @Length(1, 1000) url?: string;
  @ApiPropertyOptional({ enum: EVENT_TYPES, isArray: true, nullable: true, description: 'The event types told; null or absent: all' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsIn(EVENT_TYPES, { each: true })
  events?: NotificationEventType[] | null;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() active?: boolean;
}

export class UpdateSubscriberDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsEmail() @Length(1, 320) email?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 1000) url?: string;
  @ApiPropertyOptional({ enum: EVENT_TYPES, isArray: true, nullable: true })
  @ValidateIf((_, value) => value !== null)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsIn(EVENT_TYPES, { each: true })
  events?: NotificationEventType[] | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() active?: boolean;
}

export class SubscriberQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this profile's subscribers" }) @IsOptional() @IsUUID() profileId?: string;
  @ApiPropertyOptional({ description: 'true: only the global subscribers (profileId null)' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  global?: boolean;
}

/** The body as `Dto` with every problem of its shape (unknown properties refused), so that they are listed together
 *  with the rules across fields. */
async function shaped<T extends object>(Dto: new () => T, input: unknown): Promise<{ body: T; problems: string[] }> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return { body: new Dto(), problems: ['body must be a JSON object'] };
  const body = plainToInstance(Dto, input);
  const errors = await validate(body, { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: false } });
  return { body, problems: flattenValidationErrors(errors) };
}

const view = (s: NotificationSubscriberEntity) => ({
  id: s.id,
  profileId: s.profileId,
  channel: s.channel,
  name: s.name,
  email: s.email,
  url: s.url,
  events: s.events,
  active: s.active,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
});
const deliveryView = (d: NotificationDeliveryEntity) => ({
  id: d.id,
  eventId: d.eventId,
  eventType: d.eventType,
  status: d.status,
  attempts: d.attempts,
  lastError: d.lastError,
  lastStatusCode: d.lastStatusCode,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
  deliveredAt: d.deliveredAt,
  event: JSON.parse(d.body),
});

/** Notification subscribers (e-mail addresses and webhook endpoints) per profile and global, their delivery logs
 *  and test-sends. Admin only: they hold addresses and endpoints. */
@ApiTags('notifications')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('api/notification-subscribers')
export class NotificationSubscribersController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly secrets: SecretBox,
    private readonly notifier: Notifier,
    private readonly audit: AuditService,
  ) {}

  private get repo() {
    return this.dataSource.getRepository(NotificationSubscriberEntity);
  }

  @Get()
  @ApiOperation({ summary: 'Subscribers, of one profile (profileId), the global ones (global=true) or all' })
  async list(@Query() query: SubscriberQuery): Promise<Page<ReturnType<typeof view>>> {
    const { limit, offset } = pageOf(query);
    const where = query.profileId ? { profileId: query.profileId } : query.global ? { profileId: IsNull() } : {};
    const [items, total] = await this.repo.findAndCount({ where, order: { createdAt: 'ASC' }, take: limit, skip: offset });
    return { items: items.map(view), total, limit, offset };
  }

  @Post()
  @ApiOperation({ summary: 'Adds a subscriber; a webhook endpoint\'s signing secret is in this answer only' })
  @ApiBody({ type: CreateSubscriberDto })
  async create(@Body() input: unknown, @Actor() actor: AuditActor) {
    const { body, problems } = await shaped(CreateSubscriberDto, input);
    if (NOTIFICATION_CHANNELS.includes(body.channel)) problems.push(...this.problems(body.channel, body.email, body.url));
    if (body.profileId && !(await this.dataSource.getRepository(IntegrationProfileEntity).exists({ where: { id: body.profileId } }))) problems.push(`profileId ${body.profileId} is no profile`);
    if (problems.length) throw validationFailed(problems);
    const secret = body.channel === 'WEBHOOK' ? newWebhookSecret() : null;
    const saved = await this.repo.save(
      this.repo.create({
        profileId: body.profileId ?? null,
        channel: body.channel,
        name: body.name,
        email: body.channel === 'EMAIL' ? body.email! : null,
        url: body.channel === 'WEBHOOK' ? body.url! : null,
        secretEnc: secret ? this.secrets.encrypt(secret) : null,
        events: body.events?.length ? body.events : null,
        active: body.active ?? true,
      }),
    );
    await this.audit.record(actor, 'CREATE', 'notification-subscriber', saved.id, { after: view(saved) });
    return secret ? { ...view(saved), secret } : view(saved);
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string) {
    return view(await this.find(id));
  }

  @Patch(':id')
  @ApiBody({ type: UpdateSubscriberDto })
  async update(@Param('id', ParseUUIDPipe) id: string, @Body() input: unknown, @Actor() actor: AuditActor) {
    const subscriber = await this.find(id);
    const { body, problems } = await shaped(UpdateSubscriberDto, input);
    problems.push(...this.problems(subscriber.channel, body.email ?? subscriber.email ?? undefined, body.url ?? subscriber.url ?? undefined));
    if (problems.length) throw validationFailed(problems);
    const events = body.events === undefined ? subscriber.events : body.events?.length ? body.events : null;
    const given = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
    const updated = view(await this.repo.save({ ...subscriber, ...given, events }));
    await this.audit.record(actor, 'UPDATE', 'notification-subscriber', id, { before: view(subscriber), after: updated, input });
    return updated;
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id', ParseUUIDPipe) id: string, @Actor() actor: AuditActor) {
    const subscriber = await this.find(id);
    await this.repo.delete({ id });
    await this.audit.record(actor, 'DELETE', 'notification-subscriber', id, { before: view(subscriber) });
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "The subscriber's delivery log, newest first: status, attempts, last error, the event sent" })
  async deliveries(@Param('id', ParseUUIDPipe) id: string, @Query() query: PageQuery): Promise<Page<ReturnType<typeof deliveryView>>> {
    await this.find(id);
    const { limit, offset } = pageOf(query);
    const [items, total] = await this.dataSource
      .getRepository(NotificationDeliveryEntity)
      .findAndCount({ where: { subscriberId: id }, order: { createdAt: 'DESC', id: 'ASC' }, take: limit, skip: offset });
    return { items: items.map(deliveryView), total, limit, offset };
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Sends a TEST event to this subscriber (its delivery shows in the log)' })
  async test(@Param('id', ParseUUIDPipe) id: string) {
    const subscriber = await this.find(id);
    const event = testEvent(subscriber.profileId);
    await this.notifier.raise(event, subscriber.id);
    return { eventId: event.id };
  }

  private problems(channel: NotificationChannel, email: string | undefined, url: string | undefined): string[] {
    const problems: string[] = [];
    if (channel === 'EMAIL') {
      if (!email) problems.push('email is required for an EMAIL subscriber');
      if (url) problems.push('url is for WEBHOOK subscribers only');
    } else {
      if (email) problems.push('email is for EMAIL subscribers only');
      if (!url) problems.push('url is required for a WEBHOOK subscriber');
      else {
        let protocol = '';
        try {
          protocol = new URL(url).protocol;
        } catch {
          // reported below
        }
        if (!['http:', 'https:'].includes(protocol)) problems.push('url must be an http:// or https:// URL');
        else if (!this.config.allowPrivateTargets) {
          const reason = privateTargetReason(url);
          if (reason) problems.push(`url points at ${reason}; only public endpoints are allowed (ALLOW_PRIVATE_TARGETS)`);
        }
      }
    }
    return problems;
  }

  private async find(id: string) {
    const subscriber = await this.repo.findOne({ where: { id } });
    if (!subscriber) throw notFound(`Notification subscriber ${id}`);
    return subscriber;
  }
}
