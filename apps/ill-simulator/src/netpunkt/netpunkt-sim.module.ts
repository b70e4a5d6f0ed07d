import { Module } from '@nestjs/common';
import { NetpunktSimController } from './netpunkt-sim.controller';

/** The simulated DBC side of Netpunkt: it pushes order receipts to a receipt endpoint. */
@Module({ controllers: [NetpunktSimController] })
export class NetpunktSimModule {}
