import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { pageOf } from '@illbridge/common';
import { BorrowingRequestQuery, LendingRequestQuery } from './requests.dto';
import { RequestsService } from './requests.service';

@ApiTags('requests')
@ApiBearerAuth()
@Controller('api')
export class RequestsController {
  constructor(private readonly requests: RequestsService) {}

  @Get('borrowing-requests')
  @ApiOperation({ summary: 'Borrowing requests, newest change first (or by sort/order), with status / external status / partner / syncState facets' })
  borrowing(@Query() query: BorrowingRequestQuery) {
    return this.requests.list('BORROWING', query, pageOf(query));
  }

  @Get('lending-requests')
  @ApiOperation({ summary: 'Lending requests, newest change first (or by sort/order), with status / external status / partner / syncState facets' })
  lending(@Query() query: LendingRequestQuery) {
    return this.requests.list('LENDING', query, pageOf(query));
  }

  @Get('requests/:id')
  @ApiOperation({ summary: 'One request with its raw record, history and outbound actions' })
  get(@Param('id') id: string) {
    return this.requests.get(id);
  }
}
