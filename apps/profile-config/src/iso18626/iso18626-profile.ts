import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { originOf, privateTargetReason, SecretBox } from '@illbridge/common';
import type { IntegrationProfileEntity, ProfileSystem } from '@illbridge/database/entities';

/** The ISO 18626 channel of a profile (`iso18626` in a profile's body): required for an ISO18626 profile (a peer,
 *  e.g. a Project ReShare library), optional for a Netpunkt profile (the ISO 18626 endpoint its lenders' messages
 *  come from and go to: DBC's ISO 18626 service, or a lender peer to peer). The shared secret is write-only. */
export class Iso18626ChannelDto {
  @ApiProperty({ example: 'https://iso18626.example.dk/iso18626', description: 'Where our requestingAgencyMessages go (https; http only with ALLOW_PRIVATE_TARGETS=true)' })
  @IsOptional() @IsString() @MaxLength(500) endpointUrl?: string;
  @ApiProperty({ example: 'DK-820010', description: 'Our agency id (ISIL): the requestingAgencyId of every message' })
  @IsOptional() @IsString() @Length(1, 64) agencyId?: string;
  @ApiPropertyOptional({ example: 'DK-710100', description: "The peer's agency id (ISIL), the supplyingAgencyId its messages must carry; required for ISO18626 profiles, optional for Netpunkt (any lender)" })
  @IsOptional() @IsString() @Length(1, 64) peerAgencyId?: string | null;
  @ApiPropertyOptional({ description: 'The shared secret (write only, at least 12 characters): our requestingAgencyAuthentication.securityCode, and what the peer must send (securityCode, or HTTP Basic password)' })
  @IsOptional() @IsString() @Length(1, 500) sharedSecret?: string;
}

export const ISO18626_MIN_SECRET_LENGTH = 12;

/** ISIL as compared: upper case, trimmed. */
export const normalIsil = (value: string) => value.trim().toUpperCase();

export interface Iso18626CheckOptions {
  /** A shared secret is stored already (PATCH). */
  secretKept: boolean;
  /** The origin of the stored endpoint URL (PATCH): the stored secret is kept only while it stays. */
  storedOrigin?: string | null;
  allowPrivateTargets?: boolean;
}

interface ProfileParts {
  system?: ProfileSystem;
  baseUrl?: string | null;
  harvestStartDate?: string | null;
  schedule?: { type?: string };
  authentication?: { apiKey?: string; userId?: string; password?: string };
  iso18626?: Iso18626ChannelDto | null;
}

/** The problems of a profile's ISO 18626 channel (and of an ISO18626 profile's other fields). */
export function iso18626Problems(p: ProfileParts, system: ProfileSystem | undefined, options: Iso18626CheckOptions): string[] {
  const problems: string[] = [];
  const channel = p.iso18626 ?? null;
  if (system === 'ISO18626') {
    if (p.baseUrl) problems.push('baseUrl is not used by ISO18626 profiles: the peer endpoint is iso18626.endpointUrl');
    if (p.harvestStartDate) problems.push('harvestStartDate is not used by ISO18626 profiles (messages are pushed, nothing is harvested)');
    if (p.schedule && p.schedule.type !== 'NOT_SCHEDULED') problems.push('schedule.type must be NOT_SCHEDULED for ISO18626 profiles: messages are pushed, nothing is harvested');
    const auth = p.authentication ?? {};
    for (const field of ['apiKey', 'userId', 'password'] as const) {
      if (auth[field] !== undefined) problems.push(`authentication.${field} is not used by ISO18626 profiles (the shared secret is iso18626.sharedSecret)`);
    }
    if (!channel) return [...problems, 'iso18626 is required for ISO18626 profiles (endpointUrl, agencyId, peerAgencyId, sharedSecret)'];
    if (!channel.peerAgencyId) problems.push('iso18626.peerAgencyId is required for ISO18626 profiles');
  } else if (channel && system !== 'NETPUNKT' && system !== undefined) {
    return ['iso18626 is taken by ISO18626 and NETPUNKT profiles only'];
  }
  if (!channel) return problems;
  if (!channel.endpointUrl) problems.push('iso18626.endpointUrl is required');
  else if (!/^https?:\/\/[^\s/]+/i.test(channel.endpointUrl) || !URL.canParse(channel.endpointUrl)) problems.push('iso18626.endpointUrl must be an http(s) URL');
  else if (!options.allowPrivateTargets) {
    if (!channel.endpointUrl.toLowerCase().startsWith('https://')) problems.push('iso18626.endpointUrl must be https (the Danish ISO 18626 profile requires it)');
    const reason = privateTargetReason(channel.endpointUrl);
    if (reason) problems.push(`iso18626.endpointUrl must not point at ${reason} (${new URL(channel.endpointUrl).hostname}); set ALLOW_PRIVATE_TARGETS=true to allow it`);
  }
  if (!channel.agencyId) problems.push('iso18626.agencyId (our agency id) is required');
  const newOrigin = channel.endpointUrl ? originOf(channel.endpointUrl) : null;
  const moved = options.secretKept && options.storedOrigin !== undefined && newOrigin !== null && newOrigin !== options.storedOrigin;
  if (!channel.sharedSecret && (!options.secretKept || moved)) {
    problems.push(
      moved
        ? `iso18626.sharedSecret must be sent again: iso18626.endpointUrl now points at ${newOrigin} instead of ${options.storedOrigin}, and stored credentials are never sent to another host`
        : 'iso18626.sharedSecret is required',
    );
  }
  if (typeof channel.sharedSecret === 'string' && channel.sharedSecret.length < ISO18626_MIN_SECRET_LENGTH) {
    problems.push(`iso18626.sharedSecret must be at least ${ISO18626_MIN_SECRET_LENGTH} characters long`);
  }
  return problems;
}

/** Writes the channel onto the entity (the secret encrypted; kept when not sent). No channel: the columns are cleared. */
export function assignIso18626(entity: IntegrationProfileEntity, channel: Iso18626ChannelDto | null | undefined, secrets: SecretBox): void {
  if (!channel) {
    Object.assign(entity, { iso18626EndpointUrl: null, iso18626AgencyId: null, iso18626PeerAgencyId: null, iso18626SecretEnc: null });
    return;
  }
  entity.iso18626EndpointUrl = channel.endpointUrl ?? null;
  entity.iso18626AgencyId = channel.agencyId ? normalIsil(channel.agencyId) : null;
  entity.iso18626PeerAgencyId = channel.peerAgencyId ? normalIsil(channel.peerAgencyId) : null;
  if (channel.sharedSecret) entity.iso18626SecretEnc = secrets.encrypt(channel.sharedSecret);
}

/** The stored channel as it is sent (no secret), for a PATCH validated as a whole; undefined when there is none. */
export function iso18626Input(p: IntegrationProfileEntity): Iso18626ChannelDto | undefined {
  if (!p.iso18626EndpointUrl) return undefined;
  return { endpointUrl: p.iso18626EndpointUrl, agencyId: p.iso18626AgencyId ?? undefined, ...(p.iso18626PeerAgencyId && { peerAgencyId: p.iso18626PeerAgencyId }) };
}

/** The channel in a profile's answer. */
export function iso18626View(p: IntegrationProfileEntity) {
  if (!p.iso18626EndpointUrl) return null;
  return { endpointUrl: p.iso18626EndpointUrl, agencyId: p.iso18626AgencyId, peerAgencyId: p.iso18626PeerAgencyId, sharedSecretSet: !!p.iso18626SecretEnc };
}
