"""The 草稿 marks of a preview: a header line and a light diagonal watermark on every page of a .docx."""

from __future__ import annotations

from pathlib import Path

from lzdocs.ooxml.fonts import HEITI, add_text

DRAFT_LINE = "草稿（未编号）· 仅供审阅，不得印发"
_GREY = "7F7F7F"

# Word's own watermark (设计 → 水印): WordArt text in the header, behind the page, as VML. The shapetype is written
# out because some readers know shape 136 only from its definition; the id prefix is how Word and LibreOffice tell
# a watermark from other shapes.
_WATERMARK = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"><w:pict>
<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" path="m@7,l@8,m@5,21600l@6,21600e">
<v:formulas><v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/><v:f eqn="sum 21600 0 @1"/><v:f eqn="sum 0 0 @2"/>
<v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/><v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/>
<v:f eqn="if @0 @4 21600"/><v:f eqn="mid @5 @6"/><v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/>
<v:f eqn="sum @6 0 @5"/></v:formulas>
<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800"
 o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/>
<v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles><o:lock v:ext="edit" text="t" shapetype="t"/>
</v:shapetype>
<v:shape id="PowerPlusWaterMarkObject{n}" o:spid="_x0000_s{spid}" type="#_x0000_t136" o:allowincell="f"
 fillcolor="#d8d8d8" stroked="f" style="position:absolute;margin-left:0;margin-top:0;width:320pt;height:160pt;
rotation:315;z-index:-251657216;mso-position-horizontal:center;mso-position-horizontal-relative:margin;
mso-position-vertical:center;mso-position-vertical-relative:margin"><v:fill opacity=".5"/>
<v:textpath style="font-family:&quot;黑体&quot;;font-size:1pt" string="草稿"/></v:shape></w:pict></w:r>"""


# The line sits in a frame 8 mm from the top of the page, across the text width: the header's own content (the
# red lines of a letter) and the body keep their places, so the draft previews the real layout.
_FRAME = ('<w:framePr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:w="9638" w:wrap="around"'
          ' w:vAnchor="page" w:hAnchor="margin" w:xAlign="center" w:y="454"/>')


def mark_draft(path: Path) -> None:
    """Add the 草稿 line (grey, centred, near the top edge) and the watermark to every header
    a page of ``path`` can show: default, first-page and even-page headers of each section."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import RGBColor
    from lxml import etree

    doc = Document(str(path))
    n = 0
    for index, section in enumerate(doc.sections):
        for header in (section.header, section.first_page_header, section.even_page_header):
            if index and header.is_linked_to_previous:
                continue  # it shows the previous section's header, already marked
            n += 1
            first = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
            line = first.insert_paragraph_before()
            line.alignment = WD_ALIGN_PARAGRAPH.CENTER
            line.paragraph_format.space_before = line.paragraph_format.space_after = 0
            run = add_text(line, DRAFT_LINE, HEITI, "小五")
            run.font.color.rgb = RGBColor.from_string(_GREY)
            line._p.get_or_add_pPr().insert(0, etree.fromstring(_FRAME))  # out of the flow: nothing moves
            line._p.append(etree.fromstring(_WATERMARK.format(n=n, spid=2049 + n)))
    doc.core_properties.title = f"（草稿）{doc.core_properties.title or ''}".rstrip()
    doc.save(str(path))
