// The file part of a bubble, by kind (a lazy chunk: a chat of text never loads it). Messages from
// servers without media details keep the old placeholder (placeholder.tsx, in the first chunk).
import type { Media, Message } from '../../api/types.ts';
import AudioPlayer from './audio-player.tsx';
import { ContactCard, DocumentCard, LocationCard } from './cards.tsx';
import { MediaStateLine } from './media-state.tsx';
import { ImageMedia, VideoMedia } from './visual-media.tsx';

export default function MessageMedia({ message, media }: { message: Message; media: Media }) {
  switch (media.kind) {
    case 'image':
    case 'sticker':
      return <ImageMedia messageId={message.id} media={media} caption={message.body} />;
    case 'video':
      return <VideoMedia messageId={message.id} media={media} />;
    case 'audio':
    case 'voice':
      return (
        <div className="flex flex-col">
          <AudioPlayer media={media} />
          <MediaStateLine media={media} messageId={message.id} />
        </div>
      );
    case 'location':
      return <LocationCard media={media} />;
    case 'contact':
      return <ContactCard media={media} />;
    default:
      return <DocumentCard media={media} messageId={message.id} />;
  }
}
