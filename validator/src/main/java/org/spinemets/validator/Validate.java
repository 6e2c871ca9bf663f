package org.spinemets.validator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.hl7.fhir.r5.conformance.profile.ProfileUtilities;
import org.hl7.fhir.r5.context.SimpleWorkerContext;
import org.hl7.fhir.r5.elementmodel.Manager.FhirFormat;
import org.hl7.fhir.r5.model.StructureDefinition;
import org.hl7.fhir.utilities.filesystem.ManagedFileAccess;
import org.hl7.fhir.utilities.http.ManagedWebAccess;
import org.hl7.fhir.utilities.npm.NpmPackage;
import org.hl7.fhir.utilities.settings.FhirSettings;
import org.hl7.fhir.utilities.validation.ValidationMessage;
import org.hl7.fhir.validation.ValidationEngine;
import org.hl7.fhir.validation.ValidatorUtils;
import org.hl7.fhir.validation.instance.InstanceValidator;
import org.hl7.fhir.validation.instance.advisor.BasePolicyAdvisorForFullValidation;
import org.hl7.fhir.r5.utils.validation.constants.ReferenceValidationPolicy;

/**
 * Validates a batch of FHIR R4 resources, one JSON file each, with the HL7 validation engine
 * (org.hl7.fhir.validation, the engine of the official validator_cli), in one JVM and offline.
 *
 * <pre>
 * Validate --fhir-home DIR [--package ID#VERSION]... [--ig DIR]... --manifest FILE --report FILE
 * </pre>
 *
 * <ul>
 *   <li>{@code --fhir-home}: a directory whose {@code .fhir/packages} is a FHIR package cache
 *       holding {@code hl7.fhir.r4.core#4.0.1} and {@code hl7.fhir.xver-extensions#0.1.0}
 *       ({@code scripts/fhir-packages} builds it). The engine reads its cache and settings from
 *       the user's home, so this becomes the home of this JVM; network access is prohibited.
 *   <li>{@code --package}: a further package of that cache, loaded without its dependencies (a
 *       package's exact dependency versions may not be published where we can install them).
 *   <li>{@code --ig}: a folder of conformance resources (our profiles/ and mappings/), or a FHIR
 *       package file (package.tgz, as {@code spinemets conformance package} writes).
 *   <li>{@code --manifest}: JSON {@code [{"file": PATH, "profiles": [URL, ...]}, ...]}. Each
 *       file is validated against R4 core and the profiles it names.
 *   <li>{@code --report}: JSON written here, one entry per file with its issues.
 * </ul>
 *
 * <p>Exit status 0 when the batch ran (whatever the findings: the caller judges them), 2 on bad
 * arguments, 1 when the engine could not start.
 */
public final class Validate {

	private static final ObjectMapper JSON = new ObjectMapper();

	private Validate() {}

	public static void main(String[] args) throws Exception {
		System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"); // progress lines off
		Options options = Options.parse(args);
		if (options == null) {
			System.err.println(
					"usage: Validate --fhir-home DIR [--package ID#VERSION]... [--ig DIR]... --manifest FILE --report FILE");
			System.exit(2);
		}
		long started = System.nanoTime();
		ValidationEngine engine = engine(options);
		double loadSeconds = (System.nanoTime() - started) / 1e9;
		InstanceValidator validator = engine.getValidator(FhirFormat.JSON);

		ArrayNode results = JSON.createArrayNode();
		Map<String, Integer> warnings = new TreeMap<>();
		int errors = 0;
		for (JsonNode entry : JSON.readTree(new File(options.manifest))) {
			String file = entry.get("file").asText();
			List<String> profiles = new ArrayList<>();
			entry.path("profiles").forEach(p -> profiles.add(p.asText()));
			List<ValidationMessage> messages = new ArrayList<>();
			validator.validate(
					null,
					messages,
					Files.newInputStream(Path.of(file)),
					FhirFormat.JSON,
					engine.asSdList(profiles));
			ObjectNode result = results.addObject();
			result.put("file", file);
			result.set("profiles", JSON.valueToTree(profiles));
			ArrayNode issues = result.putArray("issues");
			for (ValidationMessage m : messages) {
				String severity = m.getLevel().toCode();
				ObjectNode issue = issues.addObject();
				issue.put("severity", severity);
				issue.put("messageId", m.getMessageId());
				issue.put("location", m.getLocation());
				issue.put("message", m.getMessage());
				if ("error".equals(severity) || "fatal".equals(severity)) {
					errors++;
				} else if ("warning".equals(severity)) {
					warnings.merge(m.getMessageId() + ": " + m.getMessage(), 1, Integer::sum);
				}
			}
		}
		ObjectNode report = JSON.createObjectNode();
		report.put("engine", "org.hl7.fhir.validation " + org.hl7.fhir.utilities.VersionUtil.getVersion());
		report.put("loadSeconds", loadSeconds);
		report.put("totalSeconds", (System.nanoTime() - started) / 1e9);
		report.set("results", results);
		JSON.writerWithDefaultPrettyPrinter().writeValue(new File(options.report), report);
		System.err.printf(
				"validated %d resources: %d errors, %d distinct warnings (engine load %.1f s, total %.1f s)%n",
				results.size(), errors, warnings.size(), loadSeconds, (System.nanoTime() - started) / 1e9);
		warnings.forEach((text, n) -> System.err.printf("  warning x%d %s%n", n, text));
	}

	/** R4 core from the local package cache, plus the requested packages and IG folders, offline. */
	static ValidationEngine engine(Options options) throws Exception {
		File home = new File(options.fhirHome).getAbsoluteFile();
		if (!new File(home, ".fhir/packages/packages.ini").isFile()) {
			throw new IllegalArgumentException("no FHIR package cache in " + home + "/.fhir/packages");
		}
		// The engine finds its package cache (and settings) under user.home: point both at ours.
		System.setProperty("user.home", home.getPath());
		FhirSettings.setExplicitFilePath(new File(home, ".fhir/fhir-settings.json").getPath());
		ManagedWebAccess.setAccessPolicy(ManagedWebAccess.WebAccessPolicy.PROHIBITED);

		ValidationEngine engine = new ValidationEngine.ValidationEngineBuilder()
				.withVersion("4.0.1")
				.withNoTerminologyServer()
				.withUserAgent("spinemets-validator")
				.fromSource("hl7.fhir.r4.core#4.0.1");
		engine.connectToTSServer(null, null, null, false); // "n/a": offline, as validator_cli -tx n/a
		for (String id : options.packages) {
			NpmPackage npm = engine.getPcm().loadPackageFromCacheOnly(id.split("#")[0], id.split("#")[1]);
			if (npm == null) {
				throw new IllegalArgumentException("package " + id + " is not in the package cache");
			}
			engine.getContext().loadFromPackage(npm, ValidatorUtils.loaderForVersion("4.0.1"));
		}
		for (String ig : options.igs) {
			File folder = ManagedFileAccess.file(ig);
			boolean pkg = folder.isFile() && ig.endsWith(".tgz"); // a FHIR package (package.tgz)
			if (!folder.isDirectory() && !pkg) {
				throw new IllegalArgumentException("not a folder or a package.tgz: " + ig);
			}
			engine.getIgLoader().loadIg(engine.getIgs(), engine.getBinaries(), folder.getAbsolutePath(), false);
		}
		// As validator_cli without -check-references: references are not resolved (each resource
		// is validated alone), everything else is checked in full. No resource fetcher: a
		// canonical URL that no loaded package defines stays unknown (validator_cli would look it
		// up on the web).
		engine.setPolicyAdvisor(new BasePolicyAdvisorForFullValidation(ReferenceValidationPolicy.IGNORE));
		snapshots(engine.getContext());
		return engine;
	}

	/**
	 * Snapshots of the profiles that have none (ours are differential only), base first. The
	 * engine's own prepare() does this too, but it parses every core StructureDefinition on the
	 * way (most of the start-up time), while the context loads the rest lazily.
	 */
	static void snapshots(SimpleWorkerContext context) {
		for (StructureDefinition sd : context.fetchResourcesByType(StructureDefinition.class)) {
			snapshot(context, sd);
		}
	}

	private static void snapshot(SimpleWorkerContext context, StructureDefinition sd) {
		if (sd.hasSnapshot() || !sd.hasBaseDefinition()) {
			return;
		}
		StructureDefinition base = context.fetchResource(StructureDefinition.class, sd.getBaseDefinition());
		if (base == null) {
			throw new IllegalStateException(sd.getUrl() + ": base " + sd.getBaseDefinition() + " not found");
		}
		snapshot(context, base);
		new ProfileUtilities(context, new ArrayList<>(), null)
				.setAutoFixSliceNames(true)
				.generateSnapshot(base, sd, sd.getUrl(), null, sd.getName());
	}

	static final class Options {
		String fhirHome;
		String manifest;
		String report;
		final List<String> packages = new ArrayList<>();
		final List<String> igs = new ArrayList<>();

		static Options parse(String[] args) {
			Options o = new Options();
			for (int i = 0; i < args.length; i += 2) {
				if (i + 1 >= args.length) {
					return null;
				}
				String value = args[i + 1];
				switch (args[i]) {
					case "--fhir-home" -> o.fhirHome = value;
					case "--manifest" -> o.manifest = value;
					case "--report" -> o.report = value;
					case "--package" -> {
						if (!value.contains("#")) {
							return null;
						}
						o.packages.add(value);
					}
					case "--ig" -> o.igs.add(value);
					default -> {
						return null;
					}
				}
			}
			return o.fhirHome == null || o.manifest == null || o.report == null ? null : o;
		}
	}
}
