import { ApiProperty } from '@nestjs/swagger';

import type { Attachment } from './attachment.schema.js';
import { ALLOWED_CONTENT_TYPES } from './file-content.js';

export class AttachmentResponseDto {
  @ApiProperty({ example: 'att_0123456789abcdefghij' })
  id!: string;

  @ApiProperty()
  taskId!: string;

  @ApiProperty({ description: 'The uploaded name, vetted, with an extension matching the type' })
  fileName!: string;

  @ApiProperty({ enum: ALLOWED_CONTENT_TYPES, description: 'Decided from the content' })
  contentType!: string;

  @ApiProperty({ description: 'Bytes' })
  size!: number;

  @ApiProperty({ description: 'Hex SHA-256 of the content' })
  sha256!: string;

  @ApiProperty()
  uploadedBy!: string;

  @ApiProperty()
  createdAt!: string;
}

export function toAttachmentResponse(attachment: Attachment): AttachmentResponseDto {
  return {
    id: attachment.publicId,
    taskId: attachment.taskId,
    fileName: attachment.fileName,
    contentType: attachment.contentType,
    size: attachment.size,
    sha256: attachment.sha256,
    uploadedBy: attachment.uploadedBy,
    createdAt: attachment.createdAt.toISOString(),
  };
}
