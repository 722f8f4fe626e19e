import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

import type { Comment } from './comment.schema.js';

export class CreateCommentDto {
  @ApiProperty({ minLength: 1, maxLength: 5000, description: 'HTML is reduced to a safe subset' })
  @Length(1, 5000, { message: 'body must be between 1 and 5000 characters' })
  @IsString({ message: 'body must be a string' })
  body!: string;
}

export class CommentResponseDto {
  @ApiProperty({ example: 'cmt_0123456789abcdefghij' })
  id!: string;

  @ApiProperty()
  taskId!: string;

  @ApiProperty()
  authorId!: string;

  @ApiProperty()
  body!: string;

  @ApiProperty({ type: [String] })
  mentions!: string[];

  @ApiProperty()
  createdAt!: string;
}

export function toCommentResponse(comment: Comment): CommentResponseDto {
  return {
    id: comment.publicId,
    taskId: comment.taskId,
    authorId: comment.authorId,
    body: comment.body,
    mentions: comment.mentions,
    createdAt: comment.createdAt.toISOString(),
  };
}
