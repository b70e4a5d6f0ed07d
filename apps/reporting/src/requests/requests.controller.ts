import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { pageOf } from '@illbridge/common';
import type { Direction } from '@illbridge/database/entities';
import { streamCsv } from '../jobs/csv';
import { REQUESTS_CSV_HEADER, requestCsvLine } from './requests-csv';
import { BorrowingRequestQuery, LendingRequestQuery, RequestListQuery } from './requests.dto';
import { RequestsService } from './requests.service';

@ApiTags('requests')
@ApiBearerAuth()
@Controller('api')
export class RequestsController {
  constructor(private readonly requests: RequestsService) {}

  @Get('borrowing-requests')
  @ApiOperation({ summary: 'Borrowing requests, newest change first (or by sort/order), with status / external status / partner / syncState / overdue facets' })
  borrowing(@Query() query: BorrowingRequestQuery) {
    return this.requests.list('BORROWING', query, pageOf(query));
  }

  @Get('borrowing-requests.csv')
  @ApiProduces('text/csv')
  @ApiOperation({ summary: 'Every borrowing request of the same filters and order as CSV (RFC 4180, UTF-8; formula-like fields escaped), streamed' })
  borrowingCsv(@Query() query: BorrowingRequestQuery, @Res() res: Response) {
    return this.csv('BORROWING', query, res);
  }

  @Get('lending-requests')
  @ApiOperation({ summary: 'Lending requests, newest change first (or by sort/order), with status / external status / partner / syncState / overdue facets' })
  lending(@Query() query: LendingRequestQuery) {
    return this.requests.list('LENDING', query, pageOf(query));
  }

  @Get('lending-requests.csv')
  @ApiProduces('text/csv')
  @ApiOperation({ summary: 'Every lending request of the same filters and order as CSV (RFC 4180, UTF-8; formula-like fields escaped), streamed' })
  lendingCsv(@Query() query: LendingRequestQuery, @Res() res: Response) {
    return this.csv('LENDING', query, res);
  }

  @Get('requests/:id')
  @ApiOperation({ summary: 'One request with its raw record, history and outbound actions' })
  get(@Param('id') id: string) {
    return this.requests.get(id);
  }

  private async csv(direction: Direction, query: RequestListQuery & { status?: string }, res: Response) {
    const requests = this.requests;
    async function* lines() {
      for await (const rows of requests.eachRow(direction, query)) yield rows.map(requestCsvLine);
    }
    await streamCsv(res, `${direction.toLowerCase()}-requests.csv`, REQUESTS_CSV_HEADER, lines());
  }
}
