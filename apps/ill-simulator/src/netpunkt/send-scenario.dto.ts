import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Max, Min, ValidateIf } from 'class-validator';
import { NETPUNKT_SCENARIOS, NetpunktScenario, ScenarioParams, SCENARIOS_ABOUT_AN_EARLIER_ORDER } from './netpunkt-scenarios';

/** `POST /_sim/netpunkt/send`: which receipt to send where, and how often to try. */
export class SendScenarioDto implements ScenarioParams {
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }) endpointUrl: string;
  @IsIn(NETPUNKT_SCENARIOS) scenario: NetpunktScenario;
  @IsString() password: string;
  @IsString() @IsNotEmpty() requesterId: string;
  @IsString() @IsNotEmpty() pickUpAgencyId: string;
  @IsString() @IsNotEmpty() responderId: string;

  @ValidateIf((body: SendScenarioDto) => body.orderId !== undefined || SCENARIOS_ABOUT_AN_EARLIER_ORDER.has(body.scenario))
  @IsString()
  @IsNotEmpty({ message: 'orderId must name the earlier order for the resend and replacement scenarios, and may not be empty' })
  orderId?: string;

  @IsOptional() @IsInt() @Min(0) @Max(10) retries?: number;
  @IsOptional() @IsInt() @Min(0) @Max(60_000) baseDelayMs?: number;
}
