package org.spinemets.hapi;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.batch2.jobs.export.BulkDataExportProvider;
import ca.uhn.fhir.batch2.maintenance.JobMaintenanceServiceImpl;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.binary.api.IBinaryStorageSvc;
import ca.uhn.fhir.jpa.binstore.MemoryBinaryStorageSvcImpl;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.provider.IJpaSystemProvider;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.SubscriptionTriggeringProvider;
import ca.uhn.fhir.jpa.provider.ValueSetOperationProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.jpa.subscription.match.config.SubscriptionProcessorConfig;
import ca.uhn.fhir.jpa.subscription.match.deliver.email.IEmailSender;
import ca.uhn.fhir.jpa.subscription.submit.config.SubscriptionSubmitterConfig;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.IncomingRequestAddressStrategy;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.CorsInterceptor;
import ca.uhn.fhir.rest.server.interceptor.RequestValidatingInterceptor;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import ca.uhn.fhir.validation.IInstanceValidatorModule;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import org.hl7.fhir.dstu2.model.Subscription.SubscriptionChannelType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.web.cors.CorsConfiguration;

import java.util.Arrays;
import java.util.List;

/**
 * The whole server: HAPI's own R4 JPA configuration plus the handful of beans
 * HAPI expects the application to supply (storage settings, entity manager
 * factory, transaction manager, binary storage, subscription settings) and the
 * RestfulServer servlet on /fhir/*.
 *
 * <p>Settings ({@code spinemets.*}, see application.properties) can be given as
 * command-line arguments ({@code --spinemets.validate-requests=true}), system
 * properties or environment variables ({@code SPINEMETS_VALIDATE_REQUESTS=true}).
 */
@Configuration
@Import({
	JpaR4Config.class, // FhirContext R4, DAOs, resource providers, system provider, JpaConfig (validation chain ...)
	HapiJpaConfig.class, // paging provider, stale-search deletion, fulltext service stub, resource-count cache
	ThreadPoolFactoryConfig.class,
	JpaBatch2Config.class, // batch2 job persistence (used by $reindex, merge, expunge ...)
	Batch2JobsConfig.class, // batch2 job definitions
	SubscriptionSubmitterConfig.class, // subscriptions: activation/registration on write
	SubscriptionProcessorConfig.class, // subscriptions: matching + delivery
	SubscriptionChannelConfig.class, // subscriptions: in-memory channels
	PersistenceConfig.class, // the database: entity manager factory, dialect, transactions
})
public class FhirServerConfig {

	private static final Logger ourLog = LoggerFactory.getLogger(FhirServerConfig.class);

	@Value("${spinemets.validate-requests:false}")
	private boolean myValidateRequests;

	@Value("${spinemets.reuse-cached-search-results-millis:0}")
	private long myReuseCachedSearchResultsMillis;

	@Value("${spinemets.referential-integrity:true}")
	private boolean myReferentialIntegrity;

	@Value("${spinemets.allow-multiple-delete:true}")
	private boolean myAllowMultipleDelete;

	@Value("${spinemets.expunge-enabled:true}")
	private boolean myExpungeEnabled;

	@Value("${spinemets.client-id-strategy:ALPHANUMERIC}")
	private JpaStorageSettings.ClientIdStrategyEnum myClientIdStrategy;

	@Value("${spinemets.subscription.resthook-enabled:true}")
	private boolean myRestHookEnabled;

	@Value("${spinemets.subscription.polling-interval-ms:5000}")
	private long mySubscriptionPollingIntervalMs;

	@Value("${spinemets.subscription.immediately-queued:false}")
	private boolean mySubscriptionImmediatelyQueued;

	/** Comma-separated origins (patterns such as https://*.example.org allowed); empty = no CORS. */
	@Value("${spinemets.cors.allowed-origins:*}")
	private String myCorsAllowedOrigins;

	@Value("${spinemets.bulk-export-enabled:true}")
	private boolean myBulkExportEnabled;

	/** Patient- and Group-level $export need it; it costs index rows on every write. */
	@Value("${spinemets.index-missing-fields:false}")
	private boolean myIndexMissingFields;

	@Bean
	public JpaStorageSettings jpaStorageSettings() {
		JpaStorageSettings s = new JpaStorageSettings();
		s.setReuseCachedSearchResultsForMillis(myReuseCachedSearchResultsMillis);
		s.setEnforceReferentialIntegrityOnWrite(myReferentialIntegrity);
		s.setEnforceReferentialIntegrityOnDelete(myReferentialIntegrity);
		s.setAutoCreatePlaceholderReferenceTargets(false);
		s.setAllowExternalReferences(false);
		s.setAllowMultipleDelete(myAllowMultipleDelete);
		s.setExpungeEnabled(myExpungeEnabled);
		s.setResourceClientIdStrategy(myClientIdStrategy);
		if (myClientIdStrategy == JpaStorageSettings.ClientIdStrategyEnum.ANY) {
			// numeric client ids would collide with sequential server ids
			s.setResourceServerIdStrategy(JpaStorageSettings.IdStrategyEnum.UUID);
		}
		// Hibernate Search is off: no fulltext / lastn indexing
		s.setHibernateSearchIndexFullText(false);
		s.setEnableTaskBulkExportJobExecution(myBulkExportEnabled);
		s.setIndexMissingFields(
				myIndexMissingFields
						? JpaStorageSettings.IndexEnabledEnum.ENABLED
						: JpaStorageSettings.IndexEnabledEnum.DISABLED);
		s.setHibernateSearchIndexSearchParams(false);
		ourLog.info(
				"spinemets: reuseCachedSearchResultsMillis={} referentialIntegrity={} allowMultipleDelete={}"
						+ " expunge={} clientIdStrategy={} validateRequests={} restHook={}",
				myReuseCachedSearchResultsMillis,
				myReferentialIntegrity,
				myAllowMultipleDelete,
				myExpungeEnabled,
				myClientIdStrategy,
				myValidateRequests,
				myRestHookEnabled);
		return s;
	}

	/**
	 * How often batch jobs ($export, $reindex, $expunge ...) move to their next step. HAPI's
	 * default is once a minute (for clusters); a local server can afford a pass every 2 s, so an
	 * $export of a test's data finishes in seconds. Set before HAPI schedules the pass.
	 */
	@Bean
	public static BeanPostProcessor batchMaintenanceInterval(Environment theEnvironment) {
		long interval = theEnvironment.getProperty("spinemets.batch-maintenance-interval-ms", Long.class, 2000L);
		return new BeanPostProcessor() {
			@Override
			public Object postProcessAfterInitialization(Object theBean, String theName) {
				if (theBean instanceof JobMaintenanceServiceImpl maintenance) {
					maintenance.setScheduledJobFrequencyMillis(interval);
				}
				return theBean;
			}
		};
	}

	@Bean
	public PartitionSettings partitionSettings() {
		return new PartitionSettings(); // partitioning off
	}

	@Bean
	public SubscriptionSettings subscriptionSettings() {
		SubscriptionSettings s = new SubscriptionSettings();
		if (myRestHookEnabled) {
			s.addSupportedSubscriptionType(SubscriptionChannelType.RESTHOOK);
		}
		s.setSubscriptionIntervalInMs(mySubscriptionPollingIntervalMs);
		s.setSubscriptionChangeQueuedImmediately(mySubscriptionImmediatelyQueued);
		return s;
	}

	/** Required by the subscription delivery machinery; e-mail subscriptions are not enabled. */
	@Bean
	public IEmailSender emailSender() {
		return theDetails -> ourLog.warn("E-mail subscriptions are not supported; dropping {}", theDetails);
	}

	@Bean
	public IBinaryStorageSvc binaryStorage() {
		return new MemoryBinaryStorageSvcImpl();
	}

	@Bean
	public RestfulServer restfulServer(
			IFhirSystemDao<?, ?> theSystemDao,
			ResourceProviderFactory theResourceProviderFactory,
			IJpaSystemProvider theSystemProvider,
			JpaStorageSettings theStorageSettings,
			ISearchParamRegistry theSearchParamRegistry,
			IValidationSupport theValidationSupport,
			DatabaseBackedPagingProvider thePagingProvider,
			ValueSetOperationProvider theValueSetOperationProvider,
			SubscriptionTriggeringProvider theSubscriptionTriggeringProvider,
			BulkDataExportProvider theBulkDataExportProvider,
			IInstanceValidatorModule theInstanceValidator) {
		FhirContext ctx = theSystemDao.getContext();
		RestfulServer server = new RestfulServer(ctx);
		server.registerProviders(theResourceProviderFactory.createProviders());
		server.registerProvider(theSystemProvider); // transaction/batch, history, $meta ...
		server.registerProvider(theValueSetOperationProvider); // $expand, $validate-code
		server.registerProvider(theSubscriptionTriggeringProvider); // $trigger-subscription
		if (myBulkExportEnabled) {
			server.registerProvider(theBulkDataExportProvider); // $export, $export-poll-status
		}
		CorsInterceptor cors = corsInterceptor();
		if (cors != null) {
			server.registerInterceptor(cors);
		}
		JpaCapabilityStatementProvider capabilities = new JpaCapabilityStatementProvider(
				server, theSystemDao, theStorageSettings, theSearchParamRegistry, theValidationSupport);
		capabilities.setImplementationDescription("spinemets HAPI FHIR R4 test server");
		server.setServerConformanceProvider(capabilities);
		server.setPagingProvider(thePagingProvider);
		server.setDefaultResponseEncoding(EncodingEnum.JSON);
		server.setServerAddressStrategy(new IncomingRequestAddressStrategy());

		if (myValidateRequests) {
			RequestValidatingInterceptor validating = new RequestValidatingInterceptor();
			validating.addValidatorModule(theInstanceValidator);
			validating.setFailOnSeverity(ResultSeverityEnum.ERROR);
			validating.setAddResponseHeaderOnSeverity(null);
			server.registerInterceptor(validating);
			ourLog.info("spinemets: request validation ON (invalid create/update bodies are rejected with 422)");
		}
		return server;
	}

	/**
	 * CORS for browser clients (SMART apps, the CDS Hooks sandbox, Bulk Data clients): the
	 * configured origins, every FHIR method, the request headers FHIR clients send and the
	 * response headers they read (Location for creates, Content-Location, X-Progress and
	 * Retry-After for $export polling, ETag for versioning). No credentials: tokens travel in
	 * the Authorization header, never in cookies.
	 */
	CorsInterceptor corsInterceptor() {
		List<String> origins = Arrays.stream(myCorsAllowedOrigins.split(","))
				.map(String::trim)
				.filter(o -> !o.isEmpty())
				.toList();
		if (origins.isEmpty()) {
			ourLog.info("spinemets: CORS off");
			return null;
		}
		CorsConfiguration config = new CorsConfiguration();
		origins.forEach(config::addAllowedOriginPattern);
		List.of("Accept", "Authorization", "Cache-Control", "Content-Type", "If-Match", "If-Modified-Since",
						"If-None-Exist", "If-None-Match", "Origin", "Prefer", "X-Requested-With")
				.forEach(config::addAllowedHeader);
		List.of("Content-Location", "ETag", "Last-Modified", "Location", "Retry-After", "X-Progress")
				.forEach(config::addExposedHeader);
		List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS").forEach(config::addAllowedMethod);
		config.setAllowCredentials(false);
		config.setMaxAge(3600L);
		ourLog.info("spinemets: CORS for origins {}", origins);
		return new CorsInterceptor(config);
	}

	@Bean
	public ServletRegistrationBean<RestfulServer> fhirServlet(RestfulServer theServer) {
		ServletRegistrationBean<RestfulServer> reg = new ServletRegistrationBean<>(theServer, "/fhir/*");
		reg.setName("fhir");
		reg.setLoadOnStartup(1);
		return reg;
	}
}
