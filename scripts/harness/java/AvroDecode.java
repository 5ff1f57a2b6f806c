import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;

/**
 * Decodes Avro single-object encoded records (one hex string per line) with
 * Apache Avro for Java, given only the .avsc file, and prints each as JSON.
 * BinaryMessageDecoder checks the C3 01 marker and the CRC-64-AVRO
 * fingerprint itself: a record from another schema fails.
 */
public class AvroDecode {
  public static void main(String[] args) throws Exception {
    Schema schema = new Schema.Parser().parse(Path.of(args[0]).toFile());
    BinaryMessageDecoder<GenericRecord> decoder = new BinaryMessageDecoder<>(GenericData.get(), schema);
    for (String line : Files.readAllLines(Path.of(args[1]))) {
      if (line.isEmpty()) continue;
      GenericRecord record = decoder.decode(HexFormat.of().parseHex(line));
      System.out.println(GenericData.get().toString(record));
    }
  }
}
