import { Controller, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { callOf, catpTextOf } from './nacsis-call-log';
import { NacsisCatpServer } from './nacsis-catp-server';

/** The CATP endpoint: a profile's base URL is `http://<host>:<port>/nacsis/catp`. Answers HTTP 200
 *  with `Content-Type: text/plain` (no charset: the CATP Encoding header governs the body), HTTP 400
 *  when the message has no readable request line (nacsis-catp.md §1). */
@Controller('nacsis')
export class NacsisCatpController {
  constructor(private readonly server: NacsisCatpServer) {}

  @Post('catp')
  catp(@Req() request: Request, @Res() response: Response): void {
    const { httpStatus, body, drop } = this.server.answer(catpTextOf(request), callOf(request));
    if (drop) {
      request.socket.destroy();
      return;
    }
    response.status(httpStatus).setHeader('Content-Type', 'text/plain');
    response.send(Buffer.from(body, 'utf8'));
  }
}
