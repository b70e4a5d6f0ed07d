import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Actor, AuditActor, AuditService, RequireRole } from '@illbridge/common';
import { BorrowingService } from './borrowing.service';
import { CreateBorrowingRequestDto, OrderBorrowingRequestDto } from './borrowing.dto';

const CREATE_EXAMPLE = {
  profileId: '6f1c2a8e-1b7e-4c1e-9d55-0a4b2f1e9c3d',
  format: 'COPY',
  title: '免疫薬理',
  author: '山田太郎',
  year: '1994',
  volume: '12',
  issue: '3',
  pages: '45-52',
  articleTitle: 'Sample article',
  issn: '0000-0000',
  bibId: 'AN10184701',
  requesterId: 'P-0042',
  requesterName: '佐藤 花子',
  pickupLibraryCode: 'MAIN',
  lenders: [
    { participantId: 'FA000001', name: '東京大学', location: '総合図', volume: '12' },
    { participantId: 'FA000002', name: '京都大学' },
  ],
  nacsis: { accounting: 'pb', copyType: '電子複写', staff: 'ILL担当 TEL=000-000-0001', address: '〒000-0001 見本市2-2 見本大学図書館' },
  note: '至急',
};

const HOLDINGS_EXAMPLE = {
  profileId: '6f1c2a8e-1b7e-4c1e-9d55-0a4b2f1e9c3d',
  query: { bibId: 'AN10184701' },
  bibliographies: [{ bibId: 'AN10184701', title: '免疫薬理', database: 'SERIAL' }],
  holdings: [
    { bibId: 'AN10184701', participantId: 'FA000001', name: '東京大学', location: '総合図', volumes: ['1-20'], callNumber: '490.1||Y', registrationNumber: null },
    { bibId: 'AN10184701', participantId: 'FA000002', name: '京都大学', location: null, volumes: ['8-12'], callNumber: null, registrationNumber: null },
  ],
};

/** Borrowing requests created in ILL Bridge, locating their lenders in NACSIS-CAT and ordering them in NACSIS-ILL.
 *  On action-push: it holds the CATP sessions and the ordered log of outbound actions an ORDER goes through. */
@ApiTags('borrowing')
@ApiBearerAuth()
@Controller('api')
export class BorrowingController {
  constructor(
    private readonly borrowing: BorrowingService,
    private readonly audit: AuditService,
  ) {}

  @Post('borrowing-requests')
  @HttpCode(201)
  @RequireRole('operator')
  @ApiOperation({ summary: 'Create a borrowing request (CREATED_BORROWING_REQUEST, with a local request number ILB-000123), to be ordered in NACSIS-ILL' })
  @ApiBody({ type: CreateBorrowingRequestDto, examples: { copy: { summary: 'A NACSIS copy request with two candidate lenders', value: CREATE_EXAMPLE } } })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A repeat with the same key (and body) answers the request the first call created; another body with the key is 409' })
  @ApiResponse({ status: 201, description: 'The request (requestNumber, status CREATED_BORROWING_REQUEST, orderDraft with the candidate lenders and NACSIS order fields)' })
  async create(@Body() body: CreateBorrowingRequestDto, @Actor() actor: AuditActor, @Headers('idempotency-key') idempotencyKey?: string) {
    const { answer, repeat } = await this.borrowing.create(body, idempotencyKey);
    const created = answer as { id?: string; requestNumber?: unknown };
    // A repeat created nothing: the first call's row is the audit of it.
    if (!repeat) await this.audit.record(actor, 'CREATE', 'request', created.id ?? null, { after: { requestNumber: created.requestNumber ?? null, profileId: body.profileId ?? null, title: body.title } });
    return answer;
  }

  @Post('borrowing-requests/:id/order')
  @HttpCode(202)
  @RequireRole('operator')
  @ApiOperation({ summary: 'ORDER a draft in NACSIS-ILL (ORDER without ID: the record is created and ordered, AMLID = the first candidate), through the ordered push queue' })
  @ApiBody({ type: OrderBorrowingRequestDto, examples: { draft: { summary: 'Order with the draft as saved', value: {} }, discovery: { summary: 'A request created without a profile', value: { profileId: CREATE_EXAMPLE.profileId, lenders: CREATE_EXAMPLE.lenders } } } })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A repeat with the same key answers the first answer and queues no second ORDER' })
  @ApiResponse({ status: 202, description: '{ action, request }: the outbound action ORDER (PENDING) and the request (PUSH_PENDING); when NACSIS answers, externalId is the NACSIS ID and status REQUEST_SENT_TO_PARTNER' })
  async order(@Param('id') id: string, @Body() body: OrderBorrowingRequestDto, @Actor() actor: AuditActor, @Headers('idempotency-key') idempotencyKey?: string) {
    const { answer, repeat } = await this.borrowing.order(id, body, idempotencyKey);
    // A repeat queued no second ORDER: the first call's row is the audit of it.
    if (!repeat) await this.audit.record(actor, 'ACTION', 'request', id, { after: { action: 'ORDER', outboundActionId: answer.action.id, status: answer.request.status } });
    return answer;
  }

  @Get('nacsis/holdings')
  @ApiOperation({ summary: 'The libraries holding a title in NACSIS-CAT (BHOLD/SHOLD over CATP), our own library left out: the candidate lenders' })
  @ApiQuery({ name: 'profileId', required: true, description: 'The NACSIS-ILL profile whose CATP login is used' })
  @ApiQuery({ name: 'bibId', required: false, example: 'AN10184701' })
  @ApiQuery({ name: 'isbn', required: false })
  @ApiQuery({ name: 'issn', required: false })
  @ApiOkResponse({ description: 'Exactly one of bibId, isbn, issn; 502 EXTERNAL_SYSTEM_ERROR when NACSIS cannot answer', schema: { example: HOLDINGS_EXAMPLE } })
  holdings(@Query('profileId') profileId?: string, @Query('bibId') bibId?: string, @Query('isbn') isbn?: string, @Query('issn') issn?: string) {
    return this.borrowing.holdings({ profileId, bibId, isbn, issn });
  }
}
