import CLibxml2

/// An XML element copied out of libxml2's tree into plain Swift values: its local name, namespace,
/// attributes, text and child elements.
struct XMLElementValue: Sendable, Equatable {
    /// The element's local name, without a namespace prefix.
    let name: String
    /// The namespace URI the element belongs to, if any.
    let namespaceURI: String?
    /// The attributes, by local name.
    let attributes: [String: String]
    /// The text and CDATA directly inside the element, concatenated.
    let text: String
    /// The child elements, in document order.
    let children: [XMLElementValue]

    /// The first child element called `name`.
    func child(_ name: String) -> XMLElementValue? {
        children.first { $0.name == name }
    }

    /// Every child element called `name`, in document order.
    func children(named name: String) -> [XMLElementValue] {
        children.filter { $0.name == name }
    }
}

/// libxml2, the XML parser libvirt itself links. This file is the only place that touches its C
/// API: a document is parsed, copied into ``XMLElementValue``s and freed before ``parse(_:)`` returns.
enum LibXML {
    private static let initialized: Void = xmlInitParser()

    /// Parses `text` and returns its root element; `nil` when the text is not well-formed XML.
    ///
    /// The parser reads no network resources, expands no external entities, and prints nothing.
    static func parse(_ text: String) -> XMLElementValue? {
        _ = initialized
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        var bytes = Array(text.utf8)
        let document = bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                xmlReadMemory($0, Int32(buffer.count), nil, "UTF-8", options)
            }
        }
        guard let document else { return nil }
        defer { xmlFreeDoc(document) }
        return xmlDocGetRootElement(document).map(copy)
    }

    private static func copy(_ element: xmlNodePtr) -> XMLElementValue {
        var attributes: [String: String] = [:]
        var attribute = element.pointee.properties
        while let current = attribute {
            attributes[String(cString: current.pointee.name)] = text(of: current.pointee.children)
            attribute = current.pointee.next
        }
        var children: [XMLElementValue] = []
        var child = element.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE { children.append(copy(current)) }
            child = current.pointee.next
        }
        return XMLElementValue(
            name: String(cString: element.pointee.name),
            namespaceURI: element.pointee.ns?.pointee.href.map { String(cString: $0) },
            attributes: attributes,
            text: text(of: element.pointee.children),
            children: children)
    }

    /// The concatenated content of the text and CDATA nodes in the sibling list from `first`.
    private static func text(of first: xmlNodePtr?) -> String {
        var result = ""
        var node = first
        while let current = node {
            if current.pointee.type == XML_TEXT_NODE || current.pointee.type == XML_CDATA_SECTION_NODE,
                let content = current.pointee.content
            {
                result += String(cString: content)
            }
            node = current.pointee.next
        }
        return result
    }
}
