package bedrocksim_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

func image(format types.ImageFormat, b []byte) types.ContentBlock {
	return &types.ContentBlockMemberImage{Value: types.ImageBlock{Format: format, Source: &types.ImageSourceMemberBytes{Value: b}}}
}

func doc(format types.DocumentFormat, name string, b []byte) types.ContentBlock {
	return &types.ContentBlockMemberDocument{Value: types.DocumentBlock{Format: format, Name: aws.String(name), Source: &types.DocumentSourceMemberBytes{Value: b}}}
}

func text(s string) types.ContentBlock { return &types.ContentBlockMemberText{Value: s} }

func userSays(blocks ...types.ContentBlock) types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: blocks}
}

func TestDescribe(t *testing.T) {
	_, c := simClient(t)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 1000)...)
	jpeg := []byte("\xff\xd8\xff\xe0 a tiny jpeg")
	pdf := []byte("%PDF-1.7 a tiny pdf")
	in := &bedrockruntime.ConverseInput{
		ModelId: aws.String(novaPro),
		Messages: []types.Message{
			userSays(image(types.ImageFormatPng, png), text("Look at this.")),
			assistantText("I see it."),
			userSays(doc(types.DocumentFormatPdf, "Q3 report (final)", pdf), image(types.ImageFormatJpeg, jpeg), text("And these? [sim:describe]")),
		},
	}
	got, _ := bothWays(t, c, in)
	want := strings.Join([]string{
		fmt.Sprintf("image png %d bytes sha256=%s", len(png), sha256hex(string(png))),
		fmt.Sprintf(`document pdf "Q3 report (final)" %d bytes sha256=%s`, len(pdf), sha256hex(string(pdf))),
		fmt.Sprintf("image jpeg %d bytes sha256=%s", len(jpeg), sha256hex(string(jpeg))),
	}, "\n")
	if got.Text != want || got.StopReason != types.StopReasonEndTurn {
		t.Errorf("describe = %q (%s), want %q", got.Text, got.StopReason, want)
	}

	got, _ = bothWays(t, c, input(novaPro, "nothing here [sim:describe]"))
	if got.Text != "No images or documents received." {
		t.Errorf("describe without media = %q", got.Text)
	}
}

func TestMediaTokens(t *testing.T) {
	_, c := simClient(t)
	const prompt = "What is in the picture?" // 23 characters: 6 tokens
	tests := []struct {
		name   string
		blocks []types.ContentBlock
		want   int32
	}{
		{"small image costs the minimum", []types.ContentBlock{image(types.ImageFormatPng, []byte("tiny"))}, 6 + 85},
		{"large image by size", []types.ContentBlock{image(types.ImageFormatWebp, make([]byte, 750*200+1))}, 6 + 201},
		{"two images", []types.ContentBlock{image(types.ImageFormatGif, []byte("a")), image(types.ImageFormatGif, make([]byte, 75000))}, 6 + 85 + 100},
		{"document as its bytes and name", []types.ContentBlock{doc(types.DocumentFormatTxt, "notes", make([]byte, 395))}, 6 + 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &bedrockruntime.ConverseInput{ModelId: aws.String(novaPro), Messages: []types.Message{userSays(append(tt.blocks, text(prompt))...)}}
			got, _ := bothWays(t, c, in)
			if got.Input != tt.want {
				t.Errorf("input tokens = %d, want %d", got.Input, tt.want)
			}
		})
	}
}

func TestMediaValidation(t *testing.T) {
	_, c := simClient(t)
	small := []byte("0123456789")
	many := func(n int, block func(i int) types.ContentBlock) []types.ContentBlock {
		var out []types.ContentBlock
		for i := range n {
			out = append(out, block(i))
		}
		return append(out, text("all of these"))
	}
	tests := []struct {
		name string
		msgs []types.Message
		want string
	}{
		{"unknown image format", []types.Message{userSays(text("see"), image("bmp", small))},
			"Value 'bmp' at 'messages.1.member.content.2.member.image.format' failed to satisfy constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]"},
		{"unknown document format", []types.Message{userSays(doc("exe", "tool", small), text("see"))},
			"Value 'exe' at 'messages.1.member.content.1.member.document.format' failed to satisfy constraint: Member must satisfy enum value set: [pdf, csv, doc, docx, xls, xlsx, html, txt, md]"},
		{"empty image", []types.Message{userSays(text("see"), image(types.ImageFormatPng, []byte{}))},
			"The image at messages.0.content.1 is empty. Add the image's bytes and try again."},
		{"image over 3.75 MB", []types.Message{userSays(image(types.ImageFormatPng, make([]byte, 3_932_161)), text("see"))},
			"The image at messages.0.content.0 is 3932161 bytes, more than the maximum of 3932160 bytes (3.75 MB). Reduce its size and try again."},
		{"document over 4.5 MB", []types.Message{userSays(doc(types.DocumentFormatPdf, "big", make([]byte, 4_718_593)), text("see"))},
			"The document at messages.0.content.0 is 4718593 bytes, more than the maximum of 4718592 bytes (4.5 MB). Reduce its size and try again."},
		{"21 images", []types.Message{userSays(many(21, func(int) types.ContentBlock { return image(types.ImageFormatPng, small) })...)},
			"The request includes 21 images, more than the maximum of 20. Remove images and try again."},
		{"6 documents", []types.Message{userSays(many(6, func(i int) types.ContentBlock { return doc(types.DocumentFormatTxt, fmt.Sprintf("doc %d", i), small) })...)},
			"The request includes 6 documents, more than the maximum of 5. Remove documents and try again."},
		{"document name with a dot", []types.Message{userSays(doc(types.DocumentFormatPdf, "report.pdf", small), text("see"))},
			"The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character."},
		{"document name with two spaces", []types.Message{userSays(doc(types.DocumentFormatPdf, "two  spaces", small), text("see"))},
			"The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character."},
		{"document name too long", []types.Message{userSays(doc(types.DocumentFormatPdf, strings.Repeat("a", 201), small), text("see"))},
			"Value '" + strings.Repeat("a", 201) + "' at 'messages.1.member.content.1.member.document.name' failed to satisfy constraint: Member must have length less than or equal to 200"},
		{"document without text", []types.Message{userSays(doc(types.DocumentFormatPdf, "report", small))},
			"A message that includes a document must also include a text block. Add a text block to messages.0.content and try again."},
		{"image from the assistant", []types.Message{userSays(text("hi")), {Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{image(types.ImageFormatPng, small)}}},
			"You can only include images and documents in user messages. Remove them from messages.1 and try again."},
	}
	// Megabyte requests are slow under -race: Converse only for them, as
	// ConverseStream validates alike.
	big := map[string]bool{"image over 3.75 MB": true, "document over 4.5 MB": true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &bedrockruntime.ConverseInput{ModelId: aws.String(novaPro), Messages: tt.msgs}
			_, err := c.Converse(t.Context(), in)
			var ve *types.ValidationException
			if !errors.As(err, &ve) || ve.ErrorMessage() != tt.want {
				t.Errorf("Converse error = %v, want ValidationException %q", err, tt.want)
			}
			if big[tt.name] {
				return
			}
			_, err = c.ConverseStream(t.Context(), streamInput(in))
			if !errors.As(err, &ve) || ve.ErrorMessage() != tt.want {
				t.Errorf("ConverseStream error = %v, want ValidationException %q", err, tt.want)
			}
		})
	}
}
